"""A blob writer that signs what it was given before storing it: the one place where
content credentials are added, so every artifact we make passes through it.

The content is hashed as it arrives (its digest before signing is kept), then signed in
a worker thread, and the signed file is what the store keeps under its own digest. A
format that cannot embed a manifest is stored as it came, with its manifest as a sidecar
blob."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import Path

from reelforge.domain.media import sniff_content_type
from reelforge.storage.blobs import CHUNK, BlobInfo, BlobStore, BlobWriter
from reelforge.storage.content_credentials.claims import Claim
from reelforge.storage.content_credentials.sealing import EMBEDDED, SIDECAR, Sealed, Sealer


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class SealingWriter(BlobWriter):
    def __init__(self, store: BlobStore, tmp_dir: Path, sealer: Sealer, claim: Claim) -> None:
        super().__init__(store, tmp_dir)
        self._sealer = sealer
        self._claim = claim
        self.sealed: Sealed | None = None

    async def commit(self) -> BlobInfo:
        content_type = sniff_content_type(self.head)
        if content_type is None:
            return await super().commit()  # not media: the artifact store refuses it
        unsigned = self._hash.hexdigest()
        source: bytes | Path
        if self._chunks is not None:
            source = b"".join(self._chunks)
        else:
            self._file.close()
            assert self.path is not None
            source = self.path
        signed_path: Path | None = None
        try:
            sealed = await asyncio.to_thread(
                self._sealer.seal, self._claim, content_type, source, self._tmp_dir
            )
            self.sealed = sealed
            if sealed.status == EMBEDDED and sealed.data is not None:
                data = sealed.data
                info = BlobInfo(hashlib.sha256(data).hexdigest(), len(data), unsigned, EMBEDDED)
                await self._store._adopt_bytes(data, info)
                self.head = data[:64]
            elif sealed.status == EMBEDDED and sealed.path is not None:
                signed_path = sealed.path
                sha, size = await asyncio.to_thread(_file_digest, signed_path)
                info = BlobInfo(sha, size, unsigned, EMBEDDED)
                with signed_path.open("rb") as fh:
                    self.head = fh.read(64)
                await self._store._adopt(signed_path, info)  # moves it into place
            else:
                manifest_sha = None
                if sealed.status == SIDECAR:
                    manifest_sha = (await self._store.put_bytes(sealed.manifest)).sha256
                info = BlobInfo(unsigned, self.size, unsigned, sealed.status, manifest_sha)
                if isinstance(source, bytes):
                    await self._store._adopt_bytes(source, info)
                else:
                    await self._store._adopt(source, info)
        finally:
            self._done = True
            self._chunks = None
            for leftover in (self.path, signed_path):
                if leftover is not None:
                    with contextlib.suppress(FileNotFoundError):
                        leftover.unlink()
        self.size = info.size
        return info
