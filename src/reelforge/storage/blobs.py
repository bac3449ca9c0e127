"""Content-addressed blob storage (sha256): a local folder or an S3-compatible bucket.

Writes spool to a local temporary file while hashing, then commit: the filesystem backend
renames it into place (atomic), the S3 backend uploads it (multipart for large files).
A writer that is aborted, or dropped on an error path, leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BlobInfo:
    sha256: str
    size: int
    # Set when the content was signed on its way in (content credentials): the digest of
    # the content as it came (before its manifest), how the manifest is kept (embedded,
    # sidecar, failed) and, for a sidecar, the blob holding the manifest store.
    content_sha256: str | None = None
    credentials: str | None = None
    manifest_sha256: str | None = None


def _check_sha(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return sha256


SPOOL_BYTES = 1024 * 1024  # a writer keeps this much in memory before using a temp file


class BlobWriter:
    """Hashes chunks as they come; ``commit`` hands the blob to the store.

    Up to ``SPOOL_BYTES`` are kept in memory (most images are smaller), so a blob the
    store already has costs no file at all; past that, the bytes spool to a temp file.
    """

    def __init__(self, store: BlobStore, tmp_dir: Path) -> None:
        self._tmp_dir = tmp_dir
        self._chunks: list[bytes] | None = []
        self._file: Any = None
        self.path: Path | None = None
        self._hash = hashlib.sha256()
        self.size = 0
        self.head = b""
        self._store = store
        self._done = False

    def write(self, chunk: bytes) -> None:
        if len(self.head) < 64:
            self.head += chunk[: 64 - len(self.head)]
        self._hash.update(chunk)
        self.size += len(chunk)
        if self._chunks is not None:
            self._chunks.append(chunk)
            if self.size <= SPOOL_BYTES:
                return
            self._spill()
            return
        self._file.write(chunk)

    def _spill(self) -> None:
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="blob-", dir=self._tmp_dir)
        self._file = os.fdopen(fd, "wb")
        self.path = Path(name)
        for chunk in self._chunks or ():
            self._file.write(chunk)
        self._chunks = None

    async def commit(self) -> BlobInfo:
        info = BlobInfo(self._hash.hexdigest(), self.size)
        try:
            if self._chunks is not None:
                await self._store._adopt_bytes(b"".join(self._chunks), info)
            else:
                self._file.close()
                assert self.path is not None
                await self._store._adopt(self.path, info)
        finally:
            self._done = True
            self._chunks = None
            if self.path is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
        return info

    def abort(self) -> None:
        if not self._done:
            self._done = True
            self._chunks = None
            if self._file is not None:
                self._file.close()
            if self.path is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()

    async def __aenter__(self) -> BlobWriter:
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.abort()  # a committed writer ignores this


class BlobStore(Protocol):
    tmp_dir: Path

    def writer(self) -> BlobWriter: ...
    async def _adopt(self, path: Path, info: BlobInfo) -> None: ...
    async def _adopt_bytes(self, data: bytes, info: BlobInfo) -> None: ...
    async def put_bytes(self, data: bytes) -> BlobInfo: ...
    async def put_file(self, path: Path) -> BlobInfo: ...
    async def stat(self, sha256: str) -> BlobInfo | None: ...
    def open(self, sha256: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]: ...
    async def delete(self, sha256: str) -> bool: ...
    async def url(self, sha256: str, expires_seconds: int = 3600) -> str: ...
    async def local_path(self, sha256: str) -> Path: ...
    async def close(self) -> None: ...


class _BaseStore:
    tmp_dir: Path

    def writer(self) -> BlobWriter:
        return BlobWriter(self, self.tmp_dir)  # type: ignore[arg-type]

    async def put_bytes(self, data: bytes) -> BlobInfo:
        async with self.writer() as w:
            for i in range(0, len(data), CHUNK):
                w.write(data[i : i + CHUNK])
            return await w.commit()

    async def put_file(self, path: Path) -> BlobInfo:
        async with self.writer() as w:
            with path.open("rb") as fh:
                while chunk := await asyncio.to_thread(fh.read, CHUNK):
                    w.write(chunk)
            return await w.commit()


class FileBlobStore(_BaseStore):
    """Blobs under ``root/ab/cdef...``; temporary files under ``root/.tmp`` (same device)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp_dir = root / ".tmp"
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        _check_sha(sha256)
        return self.root / sha256[:2] / sha256[2:]

    async def _adopt(self, path: Path, info: BlobInfo) -> None:
        dest = self._path(info.sha256)
        if dest.exists():
            return  # same content already stored
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)

    async def _adopt_bytes(self, data: bytes, info: BlobInfo) -> None:
        dest = self._path(info.sha256)
        if dest.exists():
            return
        # Written beside, then renamed: a reader never sees a partial file.
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="blob-", dir=self.tmp_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(name, dest)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
            raise

    async def stat(self, sha256: str) -> BlobInfo | None:
        path = self._path(sha256)
        try:
            return BlobInfo(sha256, path.stat().st_size)
        except FileNotFoundError:
            return None

    async def open(
        self, sha256: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        path = self._path(sha256)
        if not path.exists():
            raise FileNotFoundError(sha256)
        remaining = None if end is None else end - start + 1
        with path.open("rb") as fh:
            fh.seek(start)
            while remaining is None or remaining > 0:
                size = CHUNK if remaining is None else min(CHUNK, remaining)
                chunk = await asyncio.to_thread(fh.read, size)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    async def delete(self, sha256: str) -> bool:
        try:
            self._path(sha256).unlink()
            return True
        except FileNotFoundError:
            return False

    async def url(self, sha256: str, expires_seconds: int = 3600) -> str:
        return self._path(sha256).resolve().as_uri()

    async def local_path(self, sha256: str) -> Path:
        path = self._path(sha256)
        if not path.exists():
            raise FileNotFoundError(sha256)
        return path

    async def close(self) -> None:
        return None


class S3BlobStore(_BaseStore):
    """Blobs at ``s3://bucket/prefix/ab/cdef...`` through boto3 (run in threads).

    ``local_path`` downloads into a local cache, for tools such as ffmpeg that need a file.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str,
        *,
        endpoint_url: str | None,
        region: str,
        tmp_dir: Path,
        verify: str | None = None,
    ) -> None:
        import boto3  # imported here so the filesystem default never pays for it

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.tmp_dir = tmp_dir
        self.cache_dir = tmp_dir.parent / "cache"
        # ``verify``: a CA bundle file (private CAs, see http_client.combined_bundle).
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region, verify=verify
        )

    def _key(self, sha256: str) -> str:
        _check_sha(sha256)
        name = f"{sha256[:2]}/{sha256[2:]}"
        return f"{self.prefix}/{name}" if self.prefix else name

    async def _adopt(self, path: Path, info: BlobInfo) -> None:
        if await self.stat(info.sha256) is not None:
            return
        await asyncio.to_thread(
            self.client.upload_file, str(path), self.bucket, self._key(info.sha256)
        )

    async def _adopt_bytes(self, data: bytes, info: BlobInfo) -> None:
        if await self.stat(info.sha256) is not None:
            return
        await asyncio.to_thread(
            self.client.put_object, Bucket=self.bucket, Key=self._key(info.sha256), Body=data
        )

    async def stat(self, sha256: str) -> BlobInfo | None:
        from botocore.exceptions import ClientError

        try:
            head = await asyncio.to_thread(
                self.client.head_object, Bucket=self.bucket, Key=self._key(sha256)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return BlobInfo(sha256, int(head["ContentLength"]))

    async def open(
        self, sha256: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        from botocore.exceptions import ClientError

        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(sha256)}
        if start or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            obj = await asyncio.to_thread(self.client.get_object, **kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise FileNotFoundError(sha256) from exc
            raise
        body = obj["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def delete(self, sha256: str) -> bool:
        existed = await self.stat(sha256) is not None
        await asyncio.to_thread(
            self.client.delete_object, Bucket=self.bucket, Key=self._key(sha256)
        )
        return existed

    async def url(self, sha256: str, expires_seconds: int = 3600) -> str:
        return await asyncio.to_thread(
            self.client.generate_presigned_url,
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._key(sha256)},
            ExpiresIn=expires_seconds,
        )

    async def local_path(self, sha256: str) -> Path:
        path = self.cache_dir / sha256[:2] / sha256[2:]
        if path.exists():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        await asyncio.to_thread(self.client.download_file, self.bucket, self._key(sha256), str(tmp))
        os.replace(tmp, path)
        return path

    async def close(self) -> None:
        await asyncio.to_thread(self.client.close)


def open_blob_store(
    url: str,
    *,
    endpoint_url: str | None,
    region: str,
    work_dir: Path,
    verify: str | None = None,
) -> FileBlobStore | S3BlobStore:
    """``s3://bucket/prefix`` → S3; a path or ``file://`` URL → the filesystem."""
    if url.startswith("s3://"):
        rest = url[len("s3://") :]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise ValueError(f"no bucket in {url!r}")
        return S3BlobStore(
            bucket,
            prefix,
            endpoint_url=endpoint_url,
            region=region,
            tmp_dir=work_dir / "tmp",
            verify=verify,
        )
    if url.startswith("file://"):
        url = url[len("file://") :]
    return FileBlobStore(Path(url).expanduser())
