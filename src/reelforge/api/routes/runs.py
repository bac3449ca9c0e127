"""Runs: start a pipeline, follow it (JSON or Server-Sent Events), cancel it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import ConfigDict, Field

from reelforge.api.deps import GENERATION_LIMIT, ContainerDep, CurrentPrincipal
from reelforge.api.history_deps import run_history
from reelforge.api.paging import id_cursor
from reelforge.api.schemas import HTTP_URL_PATTERN, RequestModel
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.events import EventBus
from reelforge.engine.history import RunFilters, run_summary
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.run_views import run_view
from reelforge.engine.service import CreatedRun
from reelforge.engine.states import RunStatus

router = APIRouter(prefix="/v1/runs", tags=["runs"])

FINAL_EVENTS = {f"run.{s.value}" for s in RunStatus if s.terminal}


class RunIn(RequestModel):
    # A pipeline or a preset, not both (the handler refuses neither, both, and a preset's
    # fields on a pipeline).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["pipeline"],
                    "properties": {  # a preset's fields would be ignored: refused
                        "pipeline": {"type": "object"},
                        "preset": {"enum": [None, ""]},
                        "inputs": {"maxProperties": 0},
                        "quality": {"type": "null"},
                        "consent_given": {"const": False},
                    },
                },
                {
                    "required": ["preset"],
                    "properties": {
                        "preset": {"type": "string", "minLength": 1},
                        "pipeline": {"type": "null"},
                    },
                },
            ]
        },
    )

    pipeline: Pipeline | None = None
    preset: str | None = Field(default=None, description="A preset id (GET /v1/presets).")
    inputs: dict[str, Any] = Field(default_factory=dict, description="The preset's inputs.")
    quality: Literal["low", "standard", "pro"] | None = Field(
        default=None, description="The preset's quality level (default standard)."
    )
    consent_given: bool = Field(
        default=False, description="'I have permission to use this face/identity' (presets)."
    )
    callback_url: str | None = Field(
        default=None,
        max_length=2000,
        description="Receives the final run, signed with HMAC (X-ReelForge-Signature).",
        json_schema_extra={"pattern": HTTP_URL_PATTERN},
    )


def refuse_preset_fields(body: RunIn) -> None:
    """A preset's fields on a pipeline would be silently ignored: refused."""
    if body.pipeline is None:
        return
    given = (
        ("inputs", body.inputs),
        ("quality", body.quality),
        ("consent_given", body.consent_given),
    )
    stray = [name for name, value in given if value]
    if stray:
        raise ReelForgeError(
            ErrorCode.CONTRACT_MISMATCH,
            f"{', '.join(stray)} belong to a preset run, not to a pipeline.",
            detail={"unknown_fields": stray},
        )


async def resolve_pipeline(
    pipeline: Pipeline | None, preset: str | None, inputs: dict[str, Any]
) -> Pipeline:
    if pipeline is not None:
        if preset:
            raise ReelForgeError(
                ErrorCode.CONTRACT_MISMATCH,
                "Send either a pipeline or a preset, not both.",
                detail={"unknown_fields": ["preset"]},
            )
        return pipeline
    if preset:
        raise ReelForgeError(
            ErrorCode.CONTRACT_MISMATCH,
            "A preset is priced at POST /v1/presets/{id}/quote.",
            detail={"unknown_fields": ["preset"]},
            remediation=(f"POST /v1/presets/{preset}/quote with {{inputs, quality}}.",),
        )
    raise ReelForgeError(
        ErrorCode.CONTRACT_MISMATCH,
        "A run needs a pipeline (or a preset).",
        detail={"missing_fields": ["pipeline"]},
    )


def present_run(data: dict[str, Any]) -> dict[str, Any]:
    """Add where each output can be downloaded."""
    for step in data["steps"]:
        step["output_urls"] = [f"/v1/artifacts/{a}/content" for a in step["outputs"]]
    final = [s for s in data["steps"] if s["status"] == "succeeded" and not s["implicit"]]
    sinks = {d for s in data["steps"] for d in s["depends_on"]}
    data.update(run_summary(data, data["steps"]))  # engines used, cost, error code, remediation
    data["outputs"] = [
        {"node_id": s["node_id"], "artifact_id": a, "url": f"/v1/artifacts/{a}/content"}
        for s in final
        if s["node_id"] not in sinks
        for a in s["outputs"]
    ]
    return data


async def start_run(
    container: Container,
    owner_id: str,
    pipeline: Pipeline,
    *,
    preset: str | None = None,
    idempotency_key: str | None = None,
    callback_url: str | None = None,
    at_once: bool = False,
    record: dict[str, Any] | None = None,
) -> CreatedRun:
    """``at_once``: the caller waits for the run (``Prefer: wait``), so where this process
    submits its own steps, they are leased with the run and submitted right away."""
    created = await container.runs.create_run(
        owner_id,
        pipeline,
        preset=preset,
        idempotency_key=idempotency_key,
        callback_url=callback_url,
        launch=at_once and container.runner.launches,
        record=record,
    )
    if created.ready:
        await container.runner.enqueue_created(created)
    return created


async def created_view(container: Container, created: CreatedRun, owner_id: str) -> dict[str, Any]:
    """The answer to a new run: built from the rows just stored (no read back), or read
    when an idempotent replay returned an earlier run."""
    data = created.view()
    if data is None:
        return await view(container, created.run_id, owner_id)
    return present_run(data)


async def view(container: Container, run_id: str, owner_id: str) -> dict[str, Any]:
    run, steps = await container.runs.get_run(run_id, owner_id)
    data = present_run(run_view(run, steps))
    if data.get("preset") and data.get("error"):
        from reelforge.api.routes.presets import failure_help

        data["error"] = failure_help(container, data["preset"], data["error"])
    return data


@router.post("", status_code=202, dependencies=[GENERATION_LIMIT])
async def create_run(
    body: RunIn,
    container: ContainerDep,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> dict[str, Any]:
    """Start a pipeline. Its quote is held first; INSUFFICIENT_FUNDS refuses it before any
    provider is called. The answer is 202 with the run; follow it at /v1/runs/{id}/events."""
    record: dict[str, Any] | None = None
    refuse_preset_fields(body)
    if body.preset and body.pipeline is None:
        from reelforge.api.routes.presets import presets_service

        prepared = await presets_service(container).prepare(
            principal.user_id,
            body.preset,
            body.inputs,
            body.quality or "standard",
            consent_given=body.consent_given,
        )
        pipeline, record = prepared.pipeline, prepared.record()
    else:
        pipeline = await resolve_pipeline(body.pipeline, body.preset, body.inputs)
    created = await start_run(
        container,
        principal.user_id,
        pipeline,
        preset=record["preset"] if record else body.preset,
        idempotency_key=idempotency_key,
        callback_url=body.callback_url,
        record=record,
    )
    return await created_view(container, created, principal.user_id)


@router.get("")
async def list_runs(
    container: ContainerDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[str | None, id_cursor("Older than this run id (paging).")] = None,
    status: RunStatus | None = None,
    preset: Annotated[str | None, Query(max_length=100)] = None,
    model: Annotated[str | None, Query(max_length=200, description="A catalog id.")] = None,
    provider: Annotated[str | None, Query(max_length=64)] = None,
    created_after: Annotated[datetime | None, Query(description="ISO 8601; UTC if naive.")] = None,
    created_before: Annotated[datetime | None, Query(description="ISO 8601, exclusive.")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Text in prompts or preset.")
    ] = None,
) -> dict[str, Any]:
    """Your runs, newest first, narrowed by any of the filters (they combine with AND).
    ``model`` matches the node's model or the one that served it; ``q`` searches the
    prompts, the pipeline document and the preset id."""
    filters = RunFilters(
        status=status.value if status else None,
        preset=preset,
        model=model,
        provider=provider,
        created_after=created_after,
        created_before=created_before,
        q=q,
    )
    items = await run_history(container).list_runs(
        principal.user_id, filters, limit=limit, before=before
    )
    return {"runs": items, "next_before": items[-1]["id"] if len(items) == limit else None}


@router.get("/{run_id}")
async def get_run(
    run_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    return await view(container, run_id, principal.user_id)


@router.get("/{run_id}/pipeline")
async def get_run_pipeline(
    run_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The pipeline document the run was started with, as stored (to run it again)."""
    run, _steps = await container.runs.get_run(run_id, principal.user_id)
    return {"run_id": run.id, "preset": run.preset, "pipeline": run.pipeline}


@router.post("/{run_id}/cancel")
async def cancel_run(
    run_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    finishing = await container.runs.cancel_run(run_id, principal.user_id)
    if finishing:
        await container.runner.enqueue(finishing, at_provider=True)
    return await view(container, run_id, principal.user_id)


@router.get("/{run_id}/events")
async def run_events(
    run_id: str,
    request: Request,
    container: ContainerDep,
    principal: CurrentPrincipal,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Server-Sent Events: every state change and progress update of the run, resumable
    with Last-Event-ID. The stream ends after the run's final event."""
    await container.runs.get_run(run_id, principal.user_id)  # 404 for others' runs
    start = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0

    async def stream() -> AsyncIterator[bytes]:
        after = start
        bus: EventBus = container.engine.events
        yield b"retry: 2000\n\n"
        while True:
            async with container.db.read() as sql:
                rows = await bus.since(sql, run_id, after)
            for row in rows:
                after = row.id
                payload = json.dumps(
                    {"step_id": row.step_id, "created_at": row.created_at.isoformat(), **row.data},
                    default=str,
                )
                yield f"id: {row.id}\nevent: {row.type}\ndata: {payload}\n\n".encode()
                if row.type in FINAL_EVENTS:
                    return
            if await request.is_disconnected():
                return
            await bus.wait(run_id, 1.0)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
