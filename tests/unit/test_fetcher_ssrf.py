"""The safe fetcher refuses every address class that could reach inside the network."""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.storage.blobs import FileBlobStore
from reelforge.storage.fetcher import SafeFetcher, blocked_reason
from tests.helpers import png_bytes, serve_asgi


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "0.0.0.0",
        "100.64.0.1", "224.0.0.1", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "fe80::1",
        "fc00::1", "fd00:ec2::254", "64:ff9b::7f00:1", "2002:7f00:1::", "::",
    ],
)  # fmt: skip
def test_blocked_addresses(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


@pytest.fixture
def store(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


def fetcher(**kw: object) -> SafeFetcher:
    return SafeFetcher(max_bytes=kw.pop("max_bytes", 10_000_000), timeout_seconds=5, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/x.png", "loopback address"),
        ("http://10.0.0.1/x.png", "private address"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
        ("http://[::1]/x.png", "loopback address"),
        ("http://[::ffff:127.0.0.1]/x.png", "loopback address"),
        ("http://localhost:9/x.png", "loopback address"),
        ("file:///etc/passwd", "scheme"),
        ("ftp://example.com/x.png", "scheme"),
        ("gopher://127.0.0.1/", "scheme"),
    ],
)
async def test_unsafe_urls_refused(url: str, reason: str, store: FileBlobStore) -> None:
    f = fetcher()
    with pytest.raises(ReelForgeError) as info:
        await f.fetch_to(url, store.writer())
    await f.aclose()
    assert info.value.code is ErrorCode.UNSAFE_URL
    assert info.value.detail["reason"] == reason
    assert not list((store.root / ".tmp").glob("*")), "aborted download left a temp file"


def _app() -> Starlette:
    image = png_bytes()

    async def ok(_request: object) -> Response:
        return Response(image, media_type="image/png")

    async def html(_request: object) -> Response:
        return Response(b"<html>hello</html>", media_type="image/png")  # lies about its type

    async def to_private(_request: object) -> Response:
        return RedirectResponse("http://10.0.0.1/secret.png")

    async def to_metadata(_request: object) -> Response:
        return RedirectResponse("http://169.254.169.254/latest/meta-data/")

    async def big(_request: object) -> Response:
        return Response(image + b"\0" * 5000, media_type="image/png")

    async def gone(_request: object) -> Response:
        return Response(b"expired", status_code=403)

    return Starlette(
        routes=[
            Route("/ok.png", ok),
            Route("/html", html),
            Route("/redirect-private", to_private),
            Route("/redirect-metadata", to_metadata),
            Route("/big", big),
            Route("/gone", gone),
        ]
    )


@pytest.fixture(scope="module")
def local_server() -> str:
    with serve_asgi(_app()) as base:
        yield base  # type: ignore[misc]


def _allow(base: str) -> list[str]:
    return [base.removeprefix("http://")]


async def test_allowlisted_download_streams_into_store(
    local_server: str, store: FileBlobStore
) -> None:
    f = fetcher(allow_hosts=_allow(local_server))
    result = await f.fetch_to(f"{local_server}/ok.png", store.writer(), kinds=[MediaKind.IMAGE])
    await f.aclose()
    assert result.content_type == "image/png"
    assert (await store.stat(result.blob.sha256)) is not None


async def test_loopback_refused_without_allowlist(local_server: str, store: FileBlobStore) -> None:
    f = fetcher()
    with pytest.raises(ReelForgeError) as info:
        await f.fetch_to(f"{local_server}/ok.png", store.writer())
    await f.aclose()
    assert info.value.code is ErrorCode.UNSAFE_URL


@pytest.mark.parametrize("path", ["/redirect-private", "/redirect-metadata"])
async def test_redirect_to_private_address_refused(
    path: str, local_server: str, store: FileBlobStore
) -> None:
    f = fetcher(allow_hosts=_allow(local_server))
    with pytest.raises(ReelForgeError) as info:
        await f.fetch_to(local_server + path, store.writer())
    await f.aclose()
    assert info.value.code is ErrorCode.UNSAFE_URL


async def test_type_is_sniffed_from_bytes(local_server: str, store: FileBlobStore) -> None:
    f = fetcher(allow_hosts=_allow(local_server))
    with pytest.raises(ReelForgeError) as info:
        await f.fetch_to(f"{local_server}/html", store.writer())
    with pytest.raises(ReelForgeError) as wrong_kind:
        await f.fetch_to(f"{local_server}/ok.png", store.writer(), kinds=[MediaKind.VIDEO])
    await f.aclose()
    assert info.value.code is ErrorCode.UNSUPPORTED_MEDIA
    assert wrong_kind.value.code is ErrorCode.UNSUPPORTED_MEDIA


async def test_size_cap_and_expired_url(local_server: str, store: FileBlobStore) -> None:
    f = fetcher(allow_hosts=_allow(local_server), max_bytes=1000)
    with pytest.raises(ReelForgeError) as too_big:
        await f.fetch_to(f"{local_server}/big", store.writer())
    with pytest.raises(ReelForgeError) as gone:
        await f.fetch_to(f"{local_server}/gone", store.writer())
    await f.aclose()
    assert too_big.value.code is ErrorCode.PAYLOAD_TOO_LARGE
    assert gone.value.code is ErrorCode.FILE_NOT_FOUND
    assert not list((store.root / ".tmp").glob("*"))
    assert not [p for p in store.root.rglob("*") if p.is_file()]


async def test_a_download_cut_off_midway_is_a_retryable_error(store: FileBlobStore) -> None:
    """A server that promises 5,000 bytes and closes after a few (a dropped connection):
    a clear, retryable error, and nothing half-written is kept."""
    head = png_bytes()[:64]

    async def cut_off(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 5000\r\n\r\n" + head
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(cut_off, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    f = fetcher(allow_hosts=[f"127.0.0.1:{port}"])
    try:
        with pytest.raises(ReelForgeError) as info:
            await f.fetch_to(f"http://127.0.0.1:{port}/clip.png", store.writer())
    finally:
        await f.aclose()
        server.close()
        await server.wait_closed()
    assert info.value.code is ErrorCode.PROVIDER_ERROR and info.value.retryable
    # httpx's name for a broken transfer (which one depends on the transport underneath)
    reason = info.value.detail["reason"]
    assert issubclass(getattr(httpx, reason), httpx.TransportError), reason
    assert not list((store.root / ".tmp").glob("*")), "aborted download left a temp file"
    assert not [p for p in store.root.rglob("*") if p.is_file()]
