"""A run's log (JSON lines) and its "Copy details" text, both redacted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from reelforge.api.deps import ContainerDep, CurrentPrincipal
from reelforge.api.history_deps import run_logs
from reelforge.engine.run_logs import details_text, to_ndjson

router = APIRouter(prefix="/v1/runs", tags=["runs"])


@router.get(
    "/{run_id}/logs",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def get_run_logs(
    run_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> Response:
    """One JSON object per line: every run event, step transition and provider call outcome,
    with its time (``ts``), level, step, node, model and provider. Secrets are redacted
    (keys, tokens, and the query string of every URL, where signed URLs keep theirs)."""
    run, steps = await container.runs.get_run(run_id, principal.user_id)
    lines = await run_logs(container).read(run, steps)
    return Response(
        to_ndjson(lines),
        media_type="application/x-ndjson",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="{run.id}.jsonl"',
        },
    )


@router.get("/{run_id}/details", response_class=PlainTextResponse)
async def get_run_details(
    run_id: str,
    container: ContainerDep,
    principal: CurrentPrincipal,
    lines: Annotated[int, Query(ge=0, le=200, description="How many log lines at the end.")] = 10,
) -> PlainTextResponse:
    """The "Copy details" text: error code, message, remediation, detail, run id, engines,
    cost, time and the last log lines, redacted, ready for a clipboard or a bug report."""
    run, steps = await container.runs.get_run(run_id, principal.user_id)
    log = await run_logs(container).read(run, steps)
    return PlainTextResponse(
        details_text(run, steps, log, tail=lines), headers={"Cache-Control": "no-store"}
    )
