"""The artifact store: blobs by sha256 plus a database row per artifact (owner, type,
provenance). The only way media enters ReelForge's storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.domain.media import kind_of_content_type, sniff_content_type
from reelforge.storage.artifact_tables import ArtifactRow
from reelforge.storage.blobs import BlobInfo, BlobStore, BlobWriter
from reelforge.storage.content_credentials.claims import Claim, claim_from_provenance
from reelforge.storage.content_credentials.sealing import Sealer
from reelforge.storage.content_credentials.writer import SealingWriter
from reelforge.storage.db import Database
from reelforge.storage.prepared import inserting
from reelforge.storage.sql import Tx, detached
from reelforge.storage.tables import utcnow

_INSERT = inserting(
    cast(Table, ArtifactRow.__table__),
    [c.name for c in ArtifactRow.__table__.columns],
)


class ArtifactStore:
    def __init__(self, db: Database, blobs: BlobStore, sealer: Sealer | None = None) -> None:
        self.db = db
        self.blobs = blobs
        # Signs what ReelForge makes (content credentials); None when switched off.
        self.sealer = sealer

    def writer(self, claim: Claim | None = None) -> BlobWriter:
        """A writer for new content; with a claim (and signing on), what it stores is the
        content signed with that claim's C2PA manifest."""
        if claim is not None and self.sealer is not None:
            return SealingWriter(self.blobs, self.blobs.tmp_dir, self.sealer, claim)
        return self.blobs.writer()

    async def claim(self, provenance: dict[str, Any], *, owner_id: str, title: str) -> Claim | None:
        """What a generated artifact's manifest will say, its parents (read from their
        stored files, with any manifests they carry) as ingredients; None when off."""
        if self.sealer is None:
            return None
        parents = []
        for parent_id in provenance.get("parents") or []:
            try:
                row = await self.get(str(parent_id), owner_id=owner_id)
                path = await self.local_path(row)
            except (ReelForgeError, FileNotFoundError):
                continue  # a parent gone since: the manifest names the others
            parents.append((row.id, path, row.content_type, row.name))
        return claim_from_provenance(provenance, title, parents)

    async def record(
        self,
        tx: Tx,
        *,
        owner_id: str,
        blob: BlobInfo,
        head: bytes,
        name: str = "",
        provenance: dict[str, Any] | None = None,
        sandbox: bool = False,
        declared_type: str | None = None,
    ) -> ArtifactRow:
        """Add the row for a committed blob, inside the caller's transaction.

        The type comes from the bytes; a declared type is only used when the bytes say
        nothing (and is still checked to be a media type we know).
        """
        content_type = sniff_content_type(head) or declared_type
        kind = kind_of_content_type(content_type)
        if content_type is None or kind is None:
            raise ReelForgeError(
                ErrorCode.UNSUPPORTED_MEDIA,
                "The file is not an image, video or audio format ReelForge knows.",
                detail={"declared_type": declared_type},
            )
        values = {
            "id": new_id("art"),
            "owner_id": owner_id,
            "sha256": blob.sha256,
            "content_sha256": blob.content_sha256 or blob.sha256,
            "credentials": blob.credentials,
            "manifest_sha256": blob.manifest_sha256,
            "size": blob.size,
            "content_type": content_type,
            "kind": kind.value,
            "name": name[:300],
            "sandbox": sandbox,
            "provenance": provenance or {},
            "created_at": utcnow(),
        }
        await tx.execute(_INSERT, values)
        return detached(ArtifactRow, values)

    async def put_bytes(
        self,
        data: bytes,
        *,
        owner_id: str,
        name: str = "",
        provenance: dict[str, Any] | None = None,
        sandbox: bool = False,
    ) -> ArtifactRow:
        blob = await self.blobs.put_bytes(data)
        async with self.db.write() as tx:
            return await self.record(
                tx,
                owner_id=owner_id,
                blob=blob,
                head=data[:64],
                name=name,
                provenance=provenance,
                sandbox=sandbox,
            )

    async def put_file(
        self,
        path: Path,
        *,
        owner_id: str,
        name: str = "",
        provenance: dict[str, Any] | None = None,
        sandbox: bool = False,
    ) -> ArtifactRow:
        with path.open("rb") as fh:
            head = fh.read(64)
        blob = await self.blobs.put_file(path)
        async with self.db.write() as tx:
            return await self.record(
                tx,
                owner_id=owner_id,
                blob=blob,
                head=head,
                name=name or path.name,
                provenance=provenance,
                sandbox=sandbox,
            )

    async def get(self, artifact_id: str, *, owner_id: str | None = None) -> ArtifactRow:
        """The artifact, scoped to its owner when one is given; NOT_FOUND otherwise."""
        async with self.db.session() as session:
            stmt = select(ArtifactRow).where(ArtifactRow.id == artifact_id)
            if owner_id is not None:
                stmt = stmt.where(ArtifactRow.owner_id == owner_id)
            row = (await session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"No artifact {artifact_id!r}.",
                detail={"artifact_id": artifact_id},
            )
        return row

    def open(
        self, row: ArtifactRow, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        return self.blobs.open(row.sha256, start, end)

    async def local_path(self, row: ArtifactRow) -> Path:
        return await self.blobs.local_path(row.sha256)

    async def read_bytes(self, row: ArtifactRow) -> bytes:
        parts = [chunk async for chunk in self.blobs.open(row.sha256)]
        return b"".join(parts)
