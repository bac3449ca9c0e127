"""One generation: the one-node shortcut over runs, with ``Prefer: wait=N`` as Replicate has."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import ConfigDict, Field

from reelforge.api.deps import GENERATION_LIMIT, ContainerDep, CurrentPrincipal
from reelforge.api.routes.runs import created_view, present_run, start_run, view
from reelforge.api.schemas import HTTP_URL_PATTERN, RequestModel
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import Mode
from reelforge.engine.collect import RunEnd
from reelforge.engine.pipeline import (
    MODEL_OR_CAPABILITY,
    Capability,
    Fallback,
    FallbackModel,
    Node,
    NodeInput,
    Pipeline,
)
from reelforge.engine.run_views import run_view

router = APIRouter(prefix="/v1/generations", tags=["generations"])

MAX_WAIT = 60.0
_WAIT = re.compile(r"wait(?:=(\d+(?:\.\d+)?))?")


class GenerationIn(RequestModel):
    # Exactly one of model and capability (the handler refuses neither and both).
    model_config = ConfigDict(extra="forbid", json_schema_extra=MODEL_OR_CAPABILITY)

    model: str | None = Field(
        default=None, description="Catalog id, e.g. kling/t2v_5s (or give a capability)"
    )
    capability: Capability | None = Field(
        default=None, description="Let routing choose: mode, quality, needs, prefer."
    )
    fallbacks: list[FallbackModel | Fallback] = Field(default_factory=list, max_length=10)
    mode: Mode | None = None
    prompt: str = ""
    negative_prompt: str | None = None
    seed: int | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[NodeInput] = Field(default_factory=list)
    consent: bool = False
    max_micros: int | None = Field(
        default=None, ge=0, description="The most this generation may cost (micro-USD)."
    )
    allow_cache: bool = False
    content_credentials: bool = Field(
        default=True, description="Sign the result with C2PA content credentials."
    )
    callback_url: str | None = Field(
        default=None,
        max_length=2000,
        description="http(s) only; receives the final run, signed with HMAC.",
        json_schema_extra={"pattern": HTTP_URL_PATTERN},
    )


def prefer_wait(prefer: str | None) -> float | None:
    if not prefer:
        return None
    for part in prefer.split(","):
        match = _WAIT.fullmatch(part.strip())
        if match:
            return min(MAX_WAIT, float(match.group(1) or MAX_WAIT))
    return None


@router.post("", status_code=202, dependencies=[GENERATION_LIMIT])
async def create_generation(
    body: GenerationIn,
    response: Response,
    container: ContainerDep,
    principal: CurrentPrincipal,
    prefer: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> dict[str, Any]:
    """Start one generation (a one-node run). With ``Prefer: wait=N`` the answer is 200 with
    the finished run when it ends within N seconds (at most 60), else 202 as usual."""
    if (body.model is None) == (body.capability is None):
        raise ReelForgeError(
            ErrorCode.CONTRACT_MISMATCH,
            "Give a model or a capability (exactly one of them).",
            detail={"missing_fields": ["model"] if body.model is None else []},
        )
    pipeline = Pipeline(
        nodes=[
            Node(
                id="gen",
                model=body.model,
                capability=body.capability,
                fallbacks=body.fallbacks,
                mode=body.mode,
                prompt=body.prompt,
                negative_prompt=body.negative_prompt,
                seed=body.seed,
                params=body.params,
                inputs=body.inputs,
                consent=body.consent,
                max_micros=body.max_micros,
            )
        ],
        allow_cache=body.allow_cache,
        content_credentials=body.content_credentials,
    )
    wait = prefer_wait(prefer)
    created = await start_run(
        container,
        principal.user_id,
        pipeline,
        idempotency_key=idempotency_key,
        callback_url=body.callback_url,
        at_once=bool(wait),
    )
    ended = wait and await container.runner.wait_run(created.run_id, wait, new=not created.existing)
    if ended:
        response.status_code = 200
        response.headers["Preference-Applied"] = f"wait={wait:g}"
        if isinstance(ended, RunEnd) and ended.run.owner_id == principal.user_id:
            return present_run(run_view(ended.run, ended.steps))  # as it ended: no read
        return await view(container, created.run_id, principal.user_id)
    if wait:
        return await view(container, created.run_id, principal.user_id)  # how far it got
    return await created_view(container, created, principal.user_id)
