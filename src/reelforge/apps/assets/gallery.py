"""Per-mode galleries (seed 004: "Gallery assets from Pixel do not appear in Business"):
every query names its mode; entries are public only when their owner opts in; an asset
moves to another mode only by an explicit export/import, which makes a new entry there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reelforge.apps.assets.modes.registry import ModeRegistry
from reelforge.apps.assets.tables import GalleryRow, JobRow
from reelforge.apps.assets.workspaces import get_workspace
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.storage.db import Database
from reelforge.storage.tables import utcnow

PAGE = 50


def entry_view(row: GalleryRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "mode": row.mode,
        "job_id": row.job_id,
        "workspace_id": row.workspace_id,
        "artifact_id": row.artifact_id,
        # Ours: a public entry is seen by anyone (the core's artifact route is owner-only).
        "url": f"/v1/assets/gallery/{row.id}/content",
        "title": row.title,
        "public": row.public,
        "imported_from": row.imported_from,
        "created_at": row.created_at,
    }


async def list_gallery(
    db: Database,
    modes: ModeRegistry,
    mode: str,
    *,
    owner_id: str | None,
    public: bool,
    workspace_id: str | None = None,
    before: str | None = None,
) -> list[GalleryRow]:
    modes.get(mode)  # an unknown mode is a clear error, not an empty list
    stmt = select(GalleryRow).where(GalleryRow.mode == mode)
    if public:
        stmt = stmt.where(GalleryRow.public.is_(True))
    else:
        stmt = stmt.where(GalleryRow.owner_id == owner_id)
    if workspace_id:
        stmt = stmt.where(GalleryRow.workspace_id == workspace_id)
    if before:
        stmt = stmt.where(GalleryRow.id < before)
    async with db.session() as session:
        return list(
            (await session.execute(stmt.order_by(GalleryRow.id.desc()).limit(PAGE))).scalars()
        )


async def own_entry(db: Database, owner_id: str, entry_id: str) -> GalleryRow:
    async with db.session() as session:
        row = await session.get(GalleryRow, entry_id)
    if row is None or row.owner_id != owner_id:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND, f"No gallery entry {entry_id!r}.", detail={"id": entry_id}
        )
    return row


async def visible_entry(db: Database, viewer_id: str | None, entry_id: str) -> GalleryRow:
    """An entry anyone may see (public) or its owner's own; NOT_FOUND otherwise."""
    async with db.session() as session:
        row = await session.get(GalleryRow, entry_id)
    if row is None or not (row.public or (viewer_id is not None and row.owner_id == viewer_id)):
        raise ReelForgeError(
            ErrorCode.NOT_FOUND, f"No gallery entry {entry_id!r}.", detail={"id": entry_id}
        )
    return row


async def set_public(db: Database, owner_id: str, entry_id: str, public: bool) -> GalleryRow:
    row = await own_entry(db, owner_id, entry_id)
    async with db.transaction() as session:
        fresh = await session.get(GalleryRow, row.id)
        assert fresh is not None
        fresh.public = public
    row.public = public
    return row


async def import_into(db: Database, owner_id: str, entry_id: str, workspace_id: str) -> GalleryRow:
    """The explicit cross-mode move: a copy of the entry in the target workspace's mode."""
    source = await own_entry(db, owner_id, entry_id)
    target = await get_workspace(db, owner_id, workspace_id)
    if target.mode == source.mode and source.workspace_id == target.id:
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            "The asset is already in this workspace.",
            detail={"workspace_id": workspace_id},
        )
    row = GalleryRow(
        id=new_id("agl"),
        job_id=f"import:{new_id('imp')}",
        owner_id=owner_id,
        mode=target.mode,
        workspace_id=target.id,
        artifact_id=source.artifact_id,
        title=source.title,
        public=False,
        imported_from=source.id,
        created_at=utcnow(),
    )
    async with db.transaction() as session:
        session.add(row)
    return row


async def job_of(db: Database, owner_id: str, job_id: str) -> JobRow:
    async with db.session() as session:
        row = await session.get(JobRow, job_id)
    if row is None or row.owner_id != owner_id:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No job {job_id!r}.", detail={"job_id": job_id})
    return row
