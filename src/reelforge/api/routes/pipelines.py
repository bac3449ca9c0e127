"""Saved pipelines (the canvas's documents): ``/v1/pipelines`` create, list, get, update
(versioned, optimistic concurrency), delete, and their versions. WEBCONTRACT.md."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from reelforge.api.deps import ContainerDep, CurrentPrincipal
from reelforge.api.schemas import RequestModel, ResponseModel
from reelforge.container import Container
from reelforge.engine.saved_pipelines import (
    MAX_NAME,
    PipelineDocument,
    SavedPipeline,
    SavedPipelineService,
    SavedVersion,
)

router = APIRouter(prefix="/v1/pipelines", tags=["pipelines"])

_DOCUMENT = (
    "A pipeline document exactly as POST /v1/runs takes it (checked the same way: it must "
    "be able to run), plus an optional `layout` object the studio keeps."
)


class PipelineCreate(RequestModel):
    name: str | None = Field(
        default=None, max_length=MAX_NAME, description="Default: the document's name."
    )
    document: PipelineDocument = Field(description=_DOCUMENT)


class PipelineUpdate(RequestModel):
    name: str | None = Field(
        default=None, max_length=MAX_NAME, description="Default: the name it has."
    )
    document: PipelineDocument = Field(description=_DOCUMENT)
    version: int = Field(ge=1, description="The version you edited (409 when it is stale).")


class PipelineOut(ResponseModel):
    id: str
    name: str
    version: int
    document: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class PipelineSummary(ResponseModel):
    id: str
    name: str
    version: int
    node_count: int
    created_at: datetime
    updated_at: datetime


class PipelineList(ResponseModel):
    pipelines: list[PipelineSummary]
    next_before: str | None = Field(description="Pass as `before` for the next page.")


class VersionOut(ResponseModel):
    pipeline_id: str
    version: int
    name: str
    document: dict[str, Any]
    created_at: datetime


class VersionSummary(ResponseModel):
    version: int
    name: str
    node_count: int
    created_at: datetime


class VersionList(ResponseModel):
    versions: list[VersionSummary]
    total: int
    next_before: int | None = Field(description="Pass as `before` for the next page.")


def saved_pipelines(container: Container) -> SavedPipelineService:
    return SavedPipelineService(container.db, container.runs.plan)


def _out(p: SavedPipeline) -> PipelineOut:
    return PipelineOut(
        id=p.id,
        name=p.name,
        version=p.version,
        document=p.document,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _version_out(v: SavedVersion) -> VersionOut:
    return VersionOut(
        pipeline_id=v.pipeline_id,
        version=v.version,
        name=v.name,
        document=v.document,
        created_at=v.created_at,
    )


@router.post("", response_model=PipelineOut, status_code=201)
async def create_pipeline(
    body: PipelineCreate, container: ContainerDep, principal: CurrentPrincipal
) -> PipelineOut:
    """Save a new pipeline (version 1). Refused, with nothing saved, when it could not run."""
    made = await saved_pipelines(container).create(principal.user_id, body.name, body.document)
    return _out(made)


@router.get("", response_model=PipelineList)
async def list_pipelines(
    container: ContainerDep,
    principal: CurrentPrincipal,
    before: Annotated[str | None, Query(description="`next_before` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PipelineList:
    """Your saved pipelines, newest first, a page at a time."""
    found = await saved_pipelines(container).list_saved(
        principal.user_id, before=before, limit=limit
    )
    items = [
        PipelineSummary(
            id=p.id,
            name=p.name,
            version=p.version,
            node_count=p.node_count,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )
        for p in found
    ]
    return PipelineList(pipelines=items, next_before=items[-1].id if len(items) == limit else None)


@router.get("/{pipeline_id}", response_model=PipelineOut)
async def get_pipeline(
    pipeline_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> PipelineOut:
    """The latest version of one of your saved pipelines."""
    return _out(await saved_pipelines(container).get(principal.user_id, pipeline_id))


@router.put("/{pipeline_id}", response_model=PipelineOut)
async def update_pipeline(
    pipeline_id: str, body: PipelineUpdate, container: ContainerDep, principal: CurrentPrincipal
) -> PipelineOut:
    """Save a new version on top of the one you edited (``version``); 409
    VERSION_CONFLICT when someone saved since."""
    saved = await saved_pipelines(container).update(
        principal.user_id,
        pipeline_id,
        version=body.version,
        document=body.document,
        name=body.name,
    )
    return _out(saved)


@router.delete("/{pipeline_id}", status_code=204)
async def delete_pipeline(
    pipeline_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> None:
    """Delete the pipeline and its versions (runs started from it are kept)."""
    await saved_pipelines(container).delete(principal.user_id, pipeline_id)


@router.get("/{pipeline_id}/versions", response_model=VersionList)
async def list_versions(
    pipeline_id: str,
    container: ContainerDep,
    principal: CurrentPrincipal,
    before: Annotated[int | None, Query(ge=1, description="Older than this version.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> VersionList:
    """Every saved version, newest first."""
    found, total = await saved_pipelines(container).versions(
        principal.user_id, pipeline_id, before=before, limit=limit
    )
    items = [
        VersionSummary(
            version=v.version, name=v.name, node_count=v.node_count, created_at=v.created_at
        )
        for v in found
    ]
    last = items[-1].version if items and len(items) == limit and items[-1].version > 1 else None
    return VersionList(versions=items, total=total, next_before=last)


@router.get("/{pipeline_id}/versions/{number}", response_model=VersionOut)
async def get_version(
    pipeline_id: str, number: int, container: ContainerDep, principal: CurrentPrincipal
) -> VersionOut:
    """One saved version (to compare, or to reopen it and save it as the newest)."""
    found = await saved_pipelines(container).version(principal.user_id, pipeline_id, number)
    return _version_out(found)
