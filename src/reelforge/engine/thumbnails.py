"""Gallery thumbnails, made lazily on the first request and stored, never made twice.

Lazily rather than when an artifact is stored, because:
- collecting a step's outputs is the engine's hot path, and a preview there would slow
  every run (and could fail a run for a cosmetic reason);
- most artifacts are never looked at in a gallery (uploads used as inputs, intermediate
  steps, artifacts of API-only users), so eager previews are mostly wasted work;
- artifacts stored before thumbnails existed get one just the same.

"Never twice": the preview is keyed by the source's sha256 in the ``thumbnails`` table,
read before any decoding; within a process concurrent first requests for the same source
wait on one lock, and between processes a lost insert race is harmless (the encoder is
deterministic, the blob store content-addressed, and the primary key keeps one row).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media.thumbnail import DEFAULT_MAX_SIDE, Thumbnail, make_thumbnail
from reelforge.storage.artifact_tables import ArtifactRow
from reelforge.storage.artifacts import ArtifactStore
from reelforge.storage.db import Database
from reelforge.storage.tables import utcnow
from reelforge.storage.thumbnail_tables import ThumbnailRow

PREVIEWABLE = frozenset({MediaKind.IMAGE.value, MediaKind.VIDEO.value})


def has_thumbnail(row: ArtifactRow) -> bool:
    return row.kind in PREVIEWABLE


class Thumbnails:
    def __init__(
        self,
        db: Database,
        artifacts: ArtifactStore,
        *,
        max_side: int = DEFAULT_MAX_SIDE,
        encoder: Callable[[Path], Thumbnail] | None = None,
    ) -> None:
        self.db = db
        self.artifacts = artifacts
        self.max_side = max_side
        self.encoder = encoder or (lambda path: make_thumbnail(path, max_side=self.max_side))
        self._locks: dict[str, asyncio.Lock] = {}

    async def _stored(self, sha256: str) -> ThumbnailRow | None:
        async with self.db.session() as session:
            return await session.get(ThumbnailRow, (sha256, self.max_side))

    async def get_or_make(self, artifact: ArtifactRow) -> ThumbnailRow:
        """The stored preview of ``artifact`` (made now if it has none yet)."""
        if not has_thumbnail(artifact):
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"A {artifact.kind} artifact has no thumbnail.",
                detail={"artifact_id": artifact.id, "media_type": artifact.kind},
                remediation=("Only images and videos have thumbnails.",),
            )
        found = await self._stored(artifact.sha256)
        if found is not None:
            return found
        lock = self._locks.setdefault(artifact.sha256, asyncio.Lock())
        try:
            async with lock:
                found = await self._stored(artifact.sha256)
                if found is not None:
                    return found
                return await self._make(artifact)
        finally:
            if not lock.locked() and self._locks.get(artifact.sha256) is lock:
                self._locks.pop(artifact.sha256, None)

    async def _make(self, artifact: ArtifactRow) -> ThumbnailRow:
        path = await self.artifacts.local_path(artifact)
        thumb = await asyncio.to_thread(self.encoder, path)
        blob = await self.artifacts.blobs.put_bytes(thumb.data)
        row = ThumbnailRow(
            source_sha256=artifact.sha256,
            max_side=self.max_side,
            sha256=blob.sha256,
            size=blob.size,
            content_type=thumb.content_type,
            width=thumb.width,
            height=thumb.height,
            created_at=utcnow(),
        )
        try:
            async with self.db.transaction() as session:
                session.add(row)
        except IntegrityError:  # another process stored it first: theirs is the same
            found = await self._stored(artifact.sha256)
            if found is None:
                raise
            return found
        return row
