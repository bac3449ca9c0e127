"""The model downloader itself (storage.model_download) against a file server on
127.0.0.1: the edge cases of resuming, size limits and redirects through the safe fetcher."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.fetcher import SafeFetcher
from reelforge.storage.model_download import download_model_file, part_paths
from tests.helpers import serve_asgi
from tests.integration.range_server import RangeFileServer

BLOB = os.urandom(1024 * 1024 + 17)
SHA = hashlib.sha256(BLOB).hexdigest()


@pytest.fixture(scope="module")
def files() -> Iterator[tuple[RangeFileServer, str]]:
    server = RangeFileServer(files={"/f.safetensors": BLOB})
    with serve_asgi(server) as url:
        yield server, url


@pytest.fixture
async def fetcher(files: tuple[RangeFileServer, str]) -> AsyncIterator[SafeFetcher]:
    server, url = files
    server.ranges, server.cut_after, server.etag, server.wrong_range_start = (
        True,
        None,
        '"v1"',
        False,
    )
    server.redirects.clear()
    server.requests.clear()
    f = SafeFetcher(
        max_bytes=1 << 30, timeout_seconds=30, allow_hosts=[url.removeprefix("http://")]
    )
    yield f
    await f.aclose()


def _partial(dest: Path, data: bytes, url: str, sha: str | None = SHA) -> Path:
    part, meta = part_paths(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data)
    meta.write_text(json.dumps({"url": url, "sha256": sha, "etag": '"v1"'}))
    return part


async def test_a_partial_longer_than_the_file_starts_over(
    fetcher: SafeFetcher, files: tuple[RangeFileServer, str], tmp_path: Path
) -> None:
    server, url = files
    dest = tmp_path / "m" / "f.safetensors"
    _partial(dest, BLOB + b"extra bytes", f"{url}/f.safetensors")
    result = await download_model_file(
        fetcher, f"{url}/f.safetensors", dest, sha256=SHA, max_bytes=1 << 30
    )
    assert result.verified and result.resumed_from == 0 and dest.read_bytes() == BLOB
    assert [r.get("range") for r in server.requests] == [f"bytes={len(BLOB) + 11}-", None]


async def test_a_206_from_the_wrong_place_starts_over(
    fetcher: SafeFetcher, files: tuple[RangeFileServer, str], tmp_path: Path
) -> None:
    server, url = files
    server.wrong_range_start = True
    dest = tmp_path / "f.safetensors"
    _partial(dest, BLOB[:1000], f"{url}/f.safetensors")
    result = await download_model_file(
        fetcher, f"{url}/f.safetensors", dest, sha256=SHA, max_bytes=1 << 30
    )
    # The misplaced 206 is dropped with the partial; the second request asks for everything.
    assert result.resumed_from == 0
    assert [r.get("range") for r in server.requests] == ["bytes=1000-", None]
    assert result.verified and dest.read_bytes() == BLOB


async def test_a_partial_of_another_url_or_checksum_is_not_continued(
    fetcher: SafeFetcher, files: tuple[RangeFileServer, str], tmp_path: Path
) -> None:
    server, url = files
    dest = tmp_path / "f.safetensors"
    _partial(dest, b"\0" * 5000, "http://elsewhere.example/f.safetensors")
    result = await download_model_file(
        fetcher, f"{url}/f.safetensors", dest, sha256=SHA, max_bytes=1 << 30
    )
    assert result.resumed_from == 0 and dest.read_bytes() == BLOB
    assert "range" not in server.requests[-1]


async def test_larger_than_allowed_is_refused_and_cleaned_up(
    fetcher: SafeFetcher, files: tuple[RangeFileServer, str], tmp_path: Path
) -> None:
    _server, url = files
    dest = tmp_path / "f.safetensors"
    with pytest.raises(ReelForgeError) as err:
        await download_model_file(fetcher, f"{url}/f.safetensors", dest, sha256=SHA, max_bytes=1000)
    assert err.value.code is ErrorCode.PAYLOAD_TOO_LARGE
    assert list(tmp_path.iterdir()) == []


async def test_redirects_are_followed_and_checked(
    fetcher: SafeFetcher, files: tuple[RangeFileServer, str], tmp_path: Path
) -> None:
    server, url = files
    server.redirects["/go"] = "/f.safetensors"
    dest = tmp_path / "f.safetensors"
    result = await download_model_file(fetcher, f"{url}/go", dest, sha256=SHA, max_bytes=1 << 30)
    assert result.verified and dest.read_bytes() == BLOB
    # A redirect to an address the fetcher must not reach (metadata service) is refused.
    server.redirects["/evil"] = "http://169.254.169.254/latest/meta-data"
    with pytest.raises(ReelForgeError) as err:
        await download_model_file(
            fetcher, f"{url}/evil", tmp_path / "g.safetensors", sha256=SHA, max_bytes=1 << 30
        )
    assert err.value.code is ErrorCode.UNSAFE_URL
    assert not (tmp_path / "g.safetensors").exists()


async def test_missing_file_and_unverified_download(
    fetcher: SafeFetcher, files: tuple[RangeFileServer, str], tmp_path: Path
) -> None:
    _server, url = files
    with pytest.raises(ReelForgeError) as err:
        await download_model_file(
            fetcher,
            f"{url}/nope.safetensors",
            tmp_path / "n.safetensors",
            sha256=None,
            max_bytes=10,
        )
    assert err.value.code is ErrorCode.FILE_NOT_FOUND
    result = await download_model_file(
        fetcher, f"{url}/f.safetensors", tmp_path / "u.safetensors", sha256=None, max_bytes=1 << 30
    )
    assert result.verified is False and result.sha256 == SHA
