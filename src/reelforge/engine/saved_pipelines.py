"""Pipelines saved from the canvas (DESIGN.md: a Pipeline is data, versioned, JSON).

A saved pipeline belongs to one user: any other user's id answers NOT_FOUND, as an id
that does not exist does. Every save is a new version (the first included), kept in
``saved_pipeline_versions``; an update names the version it edited and is refused with
VERSION_CONFLICT when someone saved after it (optimistic concurrency: a compare-and-set
on ``version``).

The document is checked exactly as a run's pipeline is planned (``RunService.plan``, the
check POST /v1/runs and POST /v1/quotes make), so a saved pipeline always runs; a refused
one writes nothing. ``layout`` (the canvas's own view state: node positions, zoom) is
kept with it and never reaches the engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field
from sqlalchemy import delete, func, select, update

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.engine.pipeline import Pipeline
from reelforge.storage.db import Database
from reelforge.storage.tables import utcnow
from reelforge.storage.web_tables import SavedPipelineRow, SavedPipelineVersionRow

MAX_NAME = 200


class PipelineDocument(Pipeline):
    """A pipeline as POST /v1/runs takes it, plus the studio's ``layout``."""

    layout: dict[str, Any] | None = Field(
        default=None, description="The canvas's view state (node positions...); not run."
    )

    def pipeline(self) -> Pipeline:
        return Pipeline.model_validate(self.model_dump(by_alias=True, exclude={"layout"}))

    def stored(self) -> dict[str, Any]:
        """What was sent (no defaults added), in the JSON form runs take."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


@dataclass(frozen=True, slots=True)
class SavedPipeline:
    id: str
    name: str
    version: int
    document: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def node_count(self) -> int:
        return len(self.document.get("nodes", []))

    @classmethod
    def of(cls, row: SavedPipelineRow) -> SavedPipeline:
        return cls(row.id, row.name, row.version, row.document, row.created_at, row.updated_at)


@dataclass(frozen=True, slots=True)
class SavedVersion:
    pipeline_id: str
    version: int
    name: str
    document: dict[str, Any]
    created_at: datetime

    @property
    def node_count(self) -> int:
        return len(self.document.get("nodes", []))


# How a document is checked: RunService.plan (owner id, pipeline), raising ReelForgeError.
PlanCheck = Callable[[str, Pipeline], Awaitable[object]]


def _not_found(pipeline_id: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.NOT_FOUND,
        f"No saved pipeline {pipeline_id!r}.",
        remediation=("List your saved pipelines with GET /v1/pipelines.",),
        detail={"pipeline_id": pipeline_id},
    )


def _name(value: str | None, document: PipelineDocument) -> str:
    name = (value if value is not None else document.name).strip()
    if not name:
        name = "Untitled pipeline"
    if len(name) > MAX_NAME:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"name is longer than {MAX_NAME} characters.",
            detail={"invalid_fields": [{"field": "name", "problem": "too long"}]},
        )
    return name


class SavedPipelineService:
    def __init__(self, db: Database, check: PlanCheck) -> None:
        self.db = db
        self.check = check

    async def _checked(self, owner_id: str, document: PipelineDocument) -> dict[str, Any]:
        await self.check(owner_id, document.pipeline())
        return document.stored()

    async def create(
        self, owner_id: str, name: str | None, document: PipelineDocument
    ) -> SavedPipeline:
        title = _name(name, document)
        stored = await self._checked(owner_id, document)
        now = utcnow()
        row = SavedPipelineRow(
            id=new_id("ppl"),
            owner_id=owner_id,
            name=title,
            version=1,
            document=stored,
            created_at=now,
            updated_at=now,
        )
        async with self.db.transaction() as session:
            session.add(row)
            await session.flush()
            session.add(
                SavedPipelineVersionRow(
                    pipeline_id=row.id, version=1, name=title, document=stored, created_at=now
                )
            )
        return SavedPipeline.of(row)

    async def get(self, owner_id: str, pipeline_id: str) -> SavedPipeline:
        async with self.db.session() as session:
            row = await session.get(SavedPipelineRow, pipeline_id)
        if row is None or row.owner_id != owner_id:
            raise _not_found(pipeline_id)
        return SavedPipeline.of(row)

    async def list_saved(
        self, owner_id: str, *, before: str | None = None, limit: int = 50
    ) -> list[SavedPipeline]:
        """Newest first; ``before``: the last id of the previous page."""
        stmt = select(SavedPipelineRow).where(SavedPipelineRow.owner_id == owner_id)
        if before:
            stmt = stmt.where(SavedPipelineRow.id < before)
        stmt = stmt.order_by(SavedPipelineRow.id.desc()).limit(limit)
        async with self.db.session() as session:
            return [SavedPipeline.of(r) for r in (await session.execute(stmt)).scalars()]

    async def update(
        self,
        owner_id: str,
        pipeline_id: str,
        *,
        version: int,
        document: PipelineDocument,
        name: str | None = None,
    ) -> SavedPipeline:
        """Save a new version on top of ``version`` (the one the caller edited)."""
        current = await self.get(owner_id, pipeline_id)
        title = _name(name if name is not None else current.name, document)
        stored = await self._checked(owner_id, document)
        now = utcnow()
        async with self.db.transaction() as session:
            result = await session.execute(
                update(SavedPipelineRow)
                .where(
                    SavedPipelineRow.id == pipeline_id,
                    SavedPipelineRow.owner_id == owner_id,
                    SavedPipelineRow.version == version,
                )
                .values(version=version + 1, name=title, document=stored, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if not getattr(result, "rowcount", 0):
                latest = await session.get(SavedPipelineRow, pipeline_id)
                if latest is None or latest.owner_id != owner_id:
                    raise _not_found(pipeline_id)
                raise ReelForgeError(
                    ErrorCode.VERSION_CONFLICT,
                    f"You edited version {version}, but version {latest.version} was saved since.",
                    detail={
                        "pipeline_id": pipeline_id,
                        "your_version": version,
                        "current_version": latest.version,
                    },
                )
            session.add(
                SavedPipelineVersionRow(
                    pipeline_id=pipeline_id,
                    version=version + 1,
                    name=title,
                    document=stored,
                    created_at=now,
                )
            )
        return SavedPipeline(pipeline_id, title, version + 1, stored, current.created_at, now)

    async def delete(self, owner_id: str, pipeline_id: str) -> None:
        """The pipeline and all its versions (runs started from it keep their own copy)."""
        async with self.db.transaction() as session:
            row = await session.get(SavedPipelineRow, pipeline_id)
            if row is None or row.owner_id != owner_id:
                raise _not_found(pipeline_id)
            await session.execute(
                delete(SavedPipelineVersionRow).where(
                    SavedPipelineVersionRow.pipeline_id == pipeline_id
                )
            )
            await session.delete(row)

    async def versions(
        self, owner_id: str, pipeline_id: str, *, before: int | None = None, limit: int = 50
    ) -> tuple[list[SavedVersion], int]:
        """Newest first, and how many there are."""
        await self.get(owner_id, pipeline_id)
        cond = SavedPipelineVersionRow.pipeline_id == pipeline_id
        stmt = select(SavedPipelineVersionRow).where(cond)
        if before is not None:
            stmt = stmt.where(SavedPipelineVersionRow.version < before)
        stmt = stmt.order_by(SavedPipelineVersionRow.version.desc()).limit(limit)
        async with self.db.session() as session:
            rows = list((await session.execute(stmt)).scalars())
            total = (
                await session.execute(
                    select(func.count()).select_from(SavedPipelineVersionRow).where(cond)
                )
            ).scalar_one()
        return [_version(r) for r in rows], int(total)

    async def version(self, owner_id: str, pipeline_id: str, number: int) -> SavedVersion:
        await self.get(owner_id, pipeline_id)
        async with self.db.session() as session:
            row = await session.get(SavedPipelineVersionRow, (pipeline_id, number))
        if row is None:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"Saved pipeline {pipeline_id} has no version {number}.",
                remediation=(f"List its versions: GET /v1/pipelines/{pipeline_id}/versions.",),
                detail={"pipeline_id": pipeline_id, "version": number},
            )
        return _version(row)


def _version(row: SavedPipelineVersionRow) -> SavedVersion:
    return SavedVersion(row.pipeline_id, row.version, row.name, row.document, row.created_at)
