"""Download one model file through the safe fetcher: streamed to ``<name>.part`` beside its
destination, hashed while it streams, resumed with an HTTP Range where the server allows
it, moved into place only when complete and verified (seed 001 §9.2).

Resume: what is known of the partial file (URL, expected sha256, the server's ETag or
Last-Modified) is kept in ``<name>.part.json``; the next attempt asks for the rest with
``Range`` and, when a strong validator is known, ``If-Range``, so a file that changed on
the server comes back whole (200) and the download starts over. A 206 whose start is not
where the partial ends, or a 416, also starts over. The bytes already on disk are hashed
again before the rest is appended, so the checksum always covers the whole file.

A mismatch deletes the partial file and answers CHECKSUM_MISMATCH; a broken connection
keeps it (the next attempt resumes); a file that cannot be verified (no sha256) is only
downloaded when the caller says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.fetcher import SafeFetcher, _redact_url

ProgressFn = Callable[[int, int | None], None]
CHUNK_BYTES = 1024 * 1024
BATCH_BYTES = 2 * 1024 * 1024  # handed to the writer and hash threads at a time
PIPELINE_DEPTH = 3  # batches in flight at most
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


@dataclass(frozen=True, slots=True)
class DownloadResult:
    path: Path
    size_bytes: int
    sha256: str
    verified: bool  # a sha256 was given and matched
    resumed_from: int  # bytes that were already on disk (0: a full download)


def part_paths(dest: Path) -> tuple[Path, Path]:
    return dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")


def _discard(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _read_meta(meta: Path) -> dict[str, Any]:
    try:
        value = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _validator(meta: dict[str, Any]) -> str | None:
    """A strong validator for If-Range (weak ETags are not allowed there, RFC 9110 13.1.5)."""
    etag = meta.get("etag")
    if isinstance(etag, str) and etag and not etag.startswith("W/"):
        return etag
    modified = meta.get("last_modified")
    return modified if isinstance(modified, str) and modified else None


def _hash_file(path: Path, hasher: Any) -> int:
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_BYTES * 4):
            hasher.update(block)
            size += len(block)
    return size


def _too_large(limit: int) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        "The model file is larger than allowed.",
        detail={"limit_bytes": limit},
    )


def _status_error(status: int, url: str) -> ReelForgeError:
    detail = {"url": _redact_url(url), "status": status}
    if status in (401, 403, 404, 410):
        return ReelForgeError(
            ErrorCode.FILE_NOT_FOUND,
            f"The model URL answered {status}; the file is gone or needs a login.",
            detail=detail,
            remediation=("Check the URL in a browser; gated models need an account there.",),
        )
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        f"The model URL answered {status}.",
        detail=detail,
        retryable=status >= 500 or status == 429,
    )


def _into_place(part: Path, dest: Path, meta_path: Path) -> None:
    # The partial is complete (and verified when a checksum was given): into place at once,
    # so ComfyUI never lists a file that is still being written.
    os.replace(part, dest)
    meta_path.unlink(missing_ok=True)


async def download_model_file(
    fetcher: SafeFetcher,
    url: str,
    dest: Path,
    *,
    sha256: str | None,
    max_bytes: int,
    on_progress: ProgressFn | None = None,
) -> DownloadResult:
    """Download ``url`` to ``dest`` (which must not exist yet); see the module docstring."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part, meta_path = part_paths(dest)
    expected = sha256.lower() if sha256 else None
    meta = _read_meta(meta_path) if part.exists() else {}
    if part.exists() and (meta.get("url") != url or meta.get("sha256") != expected):
        _discard(part, meta_path)  # a partial of another file (or of an older entry)
        meta = {}
    for _attempt in range(2):  # the second only when the partial could not be continued
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if (validator := _validator(meta)) is not None:
                headers["If-Range"] = validator
        try:
            async with fetcher.open_stream(url, headers) as response:
                if offset and response.status_code == 416:
                    _discard(part, meta_path)
                    meta = {}
                    continue
                start, total = _plan(response, offset, url)
                if start is None:  # a 206 that does not continue our partial
                    _discard(part, meta_path)
                    meta = {}
                    continue
                if total is not None and total > max_bytes:
                    raise ReelForgeError(
                        ErrorCode.PAYLOAD_TOO_LARGE,
                        "The model file is larger than allowed.",
                        detail={"limit_bytes": max_bytes, "size_bytes": total},
                    )
                if start == 0:
                    meta = {
                        "url": url,
                        "sha256": expected,
                        "etag": response.headers.get("etag"),
                        "last_modified": response.headers.get("last-modified"),
                    }
                    meta_path.write_text(json.dumps(meta), encoding="utf-8")
                return await _receive(
                    response, part, dest, meta_path, start, total, expected, max_bytes, on_progress
                )
        except OSError as exc:
            raise ReelForgeError(
                ErrorCode.INTERNAL_ERROR,
                f"The model file could not be written: {exc.strerror or exc}.",
                detail={"path": str(dest), "reason": type(exc).__name__},
                remediation=("Check the free space and the permissions of the models folder.",),
                retryable=False,
            ) from exc
        except httpx.HTTPError as exc:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "The download broke off before it was complete.",
                detail={
                    "url": _redact_url(url),
                    "reason": type(exc).__name__,
                    "partial_bytes": part.stat().st_size if part.exists() else 0,
                },
                remediation=("Start the download again: it resumes where it stopped.",),
                retryable=True,
            ) from exc
    raise ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        "The server would not continue or restart the download.",
        detail={"url": _redact_url(url)},
        retryable=True,
    )


def _plan(response: httpx.Response, offset: int, url: str) -> tuple[int | None, int | None]:
    """Where the body starts in the file (None: it does not continue the partial) and the
    file's whole size when the server says it."""
    status = response.status_code
    if status == 206:
        match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
        if match is None or int(match.group(1)) != offset:
            return None, None
        return offset, None if match.group(3) == "*" else int(match.group(3))
    if status == 200:
        length = response.headers.get("content-length")
        return 0, int(length) if length and length.isdigit() else None
    raise _status_error(status, url)


async def _receive(
    response: httpx.Response,
    part: Path,
    dest: Path,
    meta_path: Path,
    start: int,
    total: int | None,
    expected: str | None,
    max_bytes: int,
    on_progress: ProgressFn | None,
) -> DownloadResult:
    hasher = hashlib.sha256()
    if start:
        # The bytes already on disk count toward the checksum: hash them first (off-loop).
        await asyncio.to_thread(_hash_file, part, hasher)
    done = start
    if on_progress is not None:
        on_progress(done, total)
    # Encoded bodies (a server ignoring Accept-Encoding: identity) are decoded first, so
    # the hash is of the file, not of its transfer form.
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    chunks = response.aiter_bytes() if encoded else response.aiter_raw()
    loop = asyncio.get_running_loop()
    fh = await asyncio.to_thread(part.open, "ab" if start else "wb")

    def write(batch: list[bytes]) -> None:
        fh.writelines(batch)

    def hash_batch(batch: list[bytes]) -> None:
        for piece in batch:
            hasher.update(piece)

    def sink(batch: list[bytes]) -> None:
        write(batch)
        hash_batch(batch)

    # Writing and hashing run in two worker threads of their own (both release the GIL),
    # each taking batches in order, while the event loop goes on receiving: on loopback
    # each alone is slower than the network, and done one after the other they fell
    # behind curl. At most PIPELINE_DEPTH batches are in flight, so memory stays bounded.
    writer = ThreadPoolExecutor(1, thread_name_prefix="model-write")
    digester = ThreadPoolExecutor(1, thread_name_prefix="model-hash")
    in_flight: deque[asyncio.Future[tuple[None, None]]] = deque()
    batch: list[bytes] = []
    batch_bytes = 0
    try:
        async for chunk in chunks:
            batch.append(chunk)
            batch_bytes += len(chunk)
            done += len(chunk)
            if done > max_bytes:
                raise _too_large(max_bytes)
            if batch_bytes >= BATCH_BYTES:
                in_flight.append(
                    asyncio.gather(
                        loop.run_in_executor(writer, write, batch),
                        loop.run_in_executor(digester, hash_batch, batch),
                    )
                )
                batch, batch_bytes = [], 0
                if len(in_flight) >= PIPELINE_DEPTH:
                    await in_flight.popleft()
                if on_progress is not None:
                    on_progress(done, total)
        while in_flight:
            await in_flight.popleft()
        if batch:
            await loop.run_in_executor(writer, sink, batch)
    except BaseException as exc:
        outcomes = await asyncio.gather(*in_flight, return_exceptions=True)
        written = not any(isinstance(o, BaseException) for o in outcomes)
        # A broken connection (or a cancel) after good writes: what arrived is a prefix of
        # the file; keep all of it, so the next attempt resumes from there. Anything else
        # (too large, a failed write) leaves nothing behind.
        if written and isinstance(exc, httpx.HTTPError | asyncio.CancelledError):
            sink(batch)
            fh.close()
        else:
            fh.close()
            _discard(part, meta_path)
        raise
    finally:
        writer.shutdown(wait=False)
        digester.shutdown(wait=False)
    fh.close()
    if on_progress is not None:
        on_progress(done, total)
    if total is not None and done != total:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            f"The download stopped at {done} of {total} bytes.",
            detail={"partial_bytes": done, "size_bytes": total},
            remediation=("Start the download again: it resumes where it stopped.",),
            retryable=True,
        )
    digest = hasher.hexdigest()
    if expected is not None and digest != expected:
        _discard(part, meta_path)
        raise ReelForgeError(
            ErrorCode.CHECKSUM_MISMATCH,
            "The downloaded file does not match its sha256; it was deleted.",
            detail={"expected_sha256": expected, "actual_sha256": digest, "size_bytes": done},
        )
    _into_place(part, dest, meta_path)
    return DownloadResult(dest, done, digest, expected is not None, start)
