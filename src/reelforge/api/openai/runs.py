"""The one path every OpenAI call takes into the engine: the same ``start_run`` and
runner wait as ``POST /v1/generations`` with ``Prefer: wait`` (so the same quote, hold,
ledger entries, fallbacks and stored artifacts), then the run's ids and cost as
``x-reelforge-*`` headers."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request, Response

from reelforge.api.routes.runs import present_run, start_run, view
from reelforge.container import Container
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.domain.modes import Mode
from reelforge.engine.collect import RunEnd
from reelforge.engine.media_io import sign_artifact_link
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.run_views import run_view

# An OpenAI image or speech call answers when the media is ready (the SDK's own timeout
# is 10 minutes); past this the run goes on and the answer names it.
SYNC_WAIT_SECONDS = 300.0
LINK_SECONDS = 3600  # an image ``url`` works this long without a key (as OpenAI's do)


async def model_for(container: Container, model: str, mode: Mode) -> ModelEntry:
    entry = await container.catalog.get(model)  # NOT_FOUND names close matches
    if mode not in entry.modes:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"{entry.id} does not do {mode.value} (its modes: "
            f"{', '.join(m.value for m in entry.modes)}).",
            detail={"param": "model", "model": entry.id, "mode": mode.value},
            remediation=(f"List {mode.value} models: GET /openai/v1/models or /v1/models?mode=.",),
        )
    return entry


def run_headers(response: Response, run: dict[str, Any]) -> None:
    response.headers["x-reelforge-run-id"] = run["id"]
    response.headers["x-reelforge-generation-id"] = run["id"]  # a generation is a 1-node run
    response.headers["x-reelforge-status"] = str(run["status"])
    response.headers["x-reelforge-quote-micros"] = str(run.get("quote_micros") or 0)
    response.headers["x-reelforge-cost-micros"] = str(run.get("cost_micros") or 0)
    response.headers["x-reelforge-sandbox"] = "true" if run.get("sandbox") else "false"


def idempotency_key(request: Request) -> str | None:
    """``Idempotency-Key`` (the SDK's ``extra_headers``): a repeated request answers with
    the run the first one started, as on ``/v1``."""
    return request.headers.get("idempotency-key") or None


async def start(
    container: Container,
    principal: Principal,
    pipeline: Pipeline,
    *,
    wait: bool,
    idempotency: str | None = None,
) -> tuple[str, bool]:
    created = await start_run(
        container, principal.user_id, pipeline, at_once=wait, idempotency_key=idempotency
    )
    return created.run_id, not created.existing


async def run_and_wait(
    container: Container,
    principal: Principal,
    pipeline: Pipeline,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Start the run, wait for its end, and answer with it finished, or raise its error."""
    run_id, new = await start(
        container, principal, pipeline, wait=True, idempotency=idempotency_key(request)
    )
    ended = await container.runner.wait_run(run_id, SYNC_WAIT_SECONDS, new=new)
    if isinstance(ended, RunEnd) and ended.run.owner_id == principal.user_id:
        run = present_run(run_view(ended.run, ended.steps))
    else:
        run = await view(container, run_id, principal.user_id)
    run_headers(response, run)
    if run["status"] == "succeeded":
        return run
    if not ended:
        raise ReelForgeError(
            ErrorCode.ENGINE_TIMEOUT,
            f"The generation did not finish in {SYNC_WAIT_SECONDS:g} s; it goes on as run "
            f"{run_id}.",
            detail={"run_id": run_id},
            remediation=(f"Follow it at GET /v1/runs/{run_id}; its output is kept.",),
        )
    raise run_error(run)


def run_error(run: dict[str, Any]) -> ReelForgeError:
    failed = [s for s in run["steps"] if s.get("error")]
    error = run.get("error") or (failed[0]["error"] if failed else None) or {}
    code = error.get("code", "PROVIDER_ERROR")
    code = ErrorCode(code) if code in ErrorCode._value2member_map_ else ErrorCode.PROVIDER_ERROR
    detail = dict(error.get("detail") or {})
    detail["run_id"] = run["id"]
    return ReelForgeError(
        code,
        error.get("message") or f"The run {run['status']}.",
        detail=detail,
        remediation=tuple(error.get("remediation") or ()) or None,
    )


def output_ids(run: dict[str, Any]) -> list[str]:
    return [o["artifact_id"] for o in run["outputs"]]


def artifact_link(container: Container, request: Request, artifact_id: str) -> str:
    """An absolute, signed link to our stored copy (never the provider's URL)."""
    expires = int(time.time()) + LINK_SECONDS
    sig = sign_artifact_link(container.engine.media.link_secret, artifact_id, expires)
    base = container.settings.public_base_url or str(request.base_url)
    base = base.rstrip("/")
    root = request.scope.get("root_path", "").rstrip("/")
    if root and base.endswith(root):
        base = base[: -len(root)]
    return f"{base}/v1/artifacts/{artifact_id}/content?expires={expires}&sig={sig}"


async def artifact_bytes(container: Container, artifact_id: str, owner_id: str) -> bytes:
    row = await container.artifacts.get(artifact_id, owner_id=owner_id)
    return await container.artifacts.read_bytes(row)
