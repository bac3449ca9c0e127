"""Blob stores: the filesystem default and S3 against a real S3-compatible server (moto)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from reelforge.storage.blobs import SPOOL_BYTES, FileBlobStore, S3BlobStore, open_blob_store
from tests.helpers import free_port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> S3BlobStore:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"rf-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    store = open_blob_store(
        f"s3://{bucket}/artifacts", endpoint_url=s3_endpoint, region="us-east-1", work_dir=tmp_path
    )
    assert isinstance(store, S3BlobStore)
    return store


@pytest.fixture
def fs_store(tmp_path: Path) -> FileBlobStore:
    store = open_blob_store(str(tmp_path / "a"), endpoint_url=None, region="x", work_dir=tmp_path)
    assert isinstance(store, FileBlobStore)
    return store


@pytest.fixture(params=["fs", "s3"])
def store(request: pytest.FixtureRequest) -> FileBlobStore | S3BlobStore:
    return request.getfixturevalue(f"{request.param}_store")  # type: ignore[no-any-return]


async def test_put_stat_open_range_delete(store: FileBlobStore | S3BlobStore) -> None:
    data = bytes(range(256)) * 9000  # ~2.3 MB: several chunks
    info = await store.put_bytes(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest() and info.size == len(data)
    assert (await store.stat(info.sha256)) == info
    whole = b"".join([c async for c in store.open(info.sha256)])
    assert whole == data
    part = b"".join([c async for c in store.open(info.sha256, 100, 199)])
    assert part == data[100:200]
    again = await store.put_bytes(data)  # content-addressed: same blob
    assert again == info
    path = await store.local_path(info.sha256)
    assert path.read_bytes() == data
    assert await store.delete(info.sha256)
    assert await store.stat(info.sha256) is None
    with pytest.raises(FileNotFoundError):
        _ = [c async for c in store.open(info.sha256)]


async def test_aborted_writer_leaves_nothing(store: FileBlobStore | S3BlobStore) -> None:
    small = store.writer()
    small.write(b"half a file")
    small.abort()
    assert small.path is None  # kept in memory: no file was ever made
    big = store.writer()
    big.write(b"x" * (SPOOL_BYTES + 1))
    assert big.path is not None and big.path.exists()  # spooled to a temp file
    big.abort()
    assert not big.path.exists()
    assert not list(store.tmp_dir.glob("*"))


async def test_storing_a_blob_again_keeps_the_stored_file(fs_store: FileBlobStore) -> None:
    first = await fs_store.put_bytes(b"a small image")
    stored = fs_store._path(first.sha256)
    before = stored.stat().st_mtime_ns
    again = await fs_store.put_bytes(b"a small image")
    assert again == first and stored.stat().st_mtime_ns == before
    assert not list(fs_store.tmp_dir.glob("*"))
    assert stored.read_bytes() == b"a small image"


async def test_s3_url_is_presigned_and_works(s3_store: S3BlobStore) -> None:
    info = await s3_store.put_bytes(b"hello s3")
    url = await s3_store.url(info.sha256)
    assert "Signature" in url or "X-Amz-Signature" in url
    async with httpx.AsyncClient() as c:
        r = await c.get(url)
    assert r.content == b"hello s3"
