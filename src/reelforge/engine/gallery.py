"""The gallery: a user's artifacts, newest first, by kind, model, run and date.

Model and run are read from the artifact's provenance (what the engine recorded when it
stored a step's output), so no column is needed for them. Paging is by artifact id
(``before``), newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from reelforge.engine.history import as_utc
from reelforge.storage.artifact_tables import ArtifactRow
from reelforge.storage.db import Database


@dataclass(frozen=True)
class ArtifactFilters:
    kind: str | None = None
    model: str | None = None
    run_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def _where(owner_id: str, f: ArtifactFilters) -> list[Any]:
    prov = ArtifactRow.provenance
    where: list[Any] = [ArtifactRow.owner_id == owner_id]
    if f.kind:
        where.append(ArtifactRow.kind == f.kind)
    if f.model:
        # The model that served the step, or the one the node named (after a fallback).
        where.append(
            or_(
                prov["model"].as_string() == f.model,
                prov["fallback_from"].as_string() == f.model,
            )
        )
    if f.run_id:
        where.append(prov["run_id"].as_string() == f.run_id)
    if f.created_after:
        where.append(ArtifactRow.created_at >= as_utc(f.created_after))
    if f.created_before:
        where.append(ArtifactRow.created_at < as_utc(f.created_before))
    return where


class Gallery:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(
        self,
        owner_id: str,
        filters: ArtifactFilters,
        *,
        limit: int = 50,
        before: str | None = None,
    ) -> list[ArtifactRow]:
        stmt = select(ArtifactRow).where(*_where(owner_id, filters))
        if before:
            # Keyset on (created_at, id), the (owner_id, created_at) index's order (as for runs).
            cursor = (
                select(ArtifactRow.created_at).where(ArtifactRow.id == before).scalar_subquery()
            )
            stmt = stmt.where(
                or_(
                    ArtifactRow.created_at < cursor,
                    and_(ArtifactRow.created_at == cursor, ArtifactRow.id < before),
                )
            )
        stmt = stmt.order_by(ArtifactRow.created_at.desc(), ArtifactRow.id.desc()).limit(limit)
        async with self.db.session() as session:
            return list((await session.execute(stmt)).scalars())
