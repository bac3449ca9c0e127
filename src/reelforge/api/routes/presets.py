"""Presets: list them, show one (a form schema of its inputs, quality levels and price
ranges), quote one, and the seed's generate contract (``POST /v1/generate``). Runs of
presets start at ``POST /v1/runs`` with ``{preset, inputs, quality}`` (routes/runs.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from pydantic import Field

from reelforge.api.deps import GENERATION_LIMIT, SCOPE_KEY, ContainerDep, CurrentPrincipal
from reelforge.api.routes.models import quotes
from reelforge.api.routes.runs import start_run
from reelforge.api.schemas import RequestModel, ResponseModel
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.presets.inputs import input_schema
from reelforge.engine.presets.schema import Preset
from reelforge.engine.presets.service import PresetService

router = APIRouter(tags=["presets"])

QualityLevel = Literal["low", "standard", "pro"]


def presets_service(container: Container) -> PresetService:
    """The preset service the composition root built (app.build_engine)."""
    service: PresetService = container.extras["presets"]
    return service


def failure_help(container: Container, preset_id: str, error: dict[str, Any]) -> dict[str, Any]:
    """A failed preset run's error with the preset's own copy for its code (seed §8.4:
    the problem in the preset's words, what to do, the alternatives)."""
    preset = presets_service(container).library.presets.get(preset_id)
    code = error.get("code")
    mode = preset.failure_modes.get(code) if preset and isinstance(code, str) else None  # type: ignore[call-overload]
    if mode is None:
        return error
    return {**error, "preset_message": mode.message, "preset_remediation": mode.remediation}


def summary(preset: Preset) -> dict[str, Any]:
    return {
        "id": preset.id,
        "version": preset.version,
        "name": preset.name,
        "goal": preset.goal,
        "category": preset.category,
        "requires_consent": preset.requires_consent,
        "consent_inputs": preset.consent_inputs,
        "inputs": {
            name: {"type": spec.type, "required": spec.required}
            for name, spec in preset.inputs.items()
        },
        "quality_levels": {q: level.description for q, level in preset.quality_levels.items()},
    }


def detail(preset: Preset, prices: dict[str, Any]) -> dict[str, Any]:
    return {
        **summary(preset),
        "description": preset.description,
        "input_schema": input_schema(preset),
        "quality_levels": {
            q: {**level.model_dump(), "price": prices.get(q)}
            for q, level in preset.quality_levels.items()
        },
        "engine_preference_order": preset.engine_preference_order,
        "steps": [
            {
                "id": s.id,
                "title": s.title,
                "when": s.when.model_dump(exclude_none=True) if s.when else None,
                "preset": s.preset,
                "engines": [
                    {"model": o.model, **({"only": o.qualities} if o.qualities else {})}
                    for o in s.engines
                ],
                "repeat": s.repeat,
                "if_missing": s.missing or None,
            }
            for s in preset.steps
        ],
        "safety_notes": preset.safety_notes,
        "failure_modes": {str(c): m.model_dump() for c, m in preset.failure_modes.items()},
    }


@router.get("/v1/presets")
async def list_presets(container: ContainerDep, _principal: CurrentPrincipal) -> dict[str, Any]:
    return {"presets": [summary(p) for p in presets_service(container).library.all()]}


@router.get("/v1/presets/{preset_id}")
async def get_preset(
    preset_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The preset with its inputs as a JSON schema (draw the form from it), its quality
    levels, and per level the price range with the engines available to you now."""
    service = presets_service(container)
    preset = service.library.get(preset_id)
    return detail(preset, await service.price_ranges(principal.user_id, preset))


class PresetQuoteIn(RequestModel):
    inputs: dict[str, Any] = Field(default_factory=dict)
    quality: QualityLevel = "standard"


@router.post("/v1/presets/{preset_id}/quote", openapi_extra={SCOPE_KEY: "read"})
async def quote_preset(
    preset_id: str, body: PresetQuoteIn, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The price of this preset with these inputs at this level, planned as the run
    would be (the compiled pipeline goes through POST /v1/quotes' planner)."""
    service = presets_service(container)
    # A quote is no run: consent is asked for when the run starts (needs_consent says so).
    prepared = await service.prepare(
        principal.user_id, preset_id, body.inputs, body.quality, consent_given=True
    )
    document = prepared.pipeline.model_dump(mode="json", by_alias=True)
    priced = await quotes(container, container.catalog, principal, document)
    compiled = prepared.compiled
    return {
        "preset": prepared.preset,
        "quality": prepared.quality,
        "needs_consent": bool(compiled and compiled.needs_consent),
        "steps": compiled.steps if compiled else [],
        "notes": compiled.notes if compiled else [],
        "pipeline": document,
        **priced.model_dump(),
    }


class GenerateRequest(RequestModel):
    """Seed 001 §6.3, as written. ``identity_reference``: artifact ids of uploaded images
    (a server cannot read a client's file paths)."""

    preset_id: str = Field(..., min_length=1)
    prompt: str = Field(..., min_length=1, max_length=2000)
    negative_prompt: str | None = Field(default=None, max_length=2000)
    quality_level: QualityLevel = "standard"
    seed: int | None = Field(default=None, ge=0, le=2**32)
    identity_reference: list[str] | None = None
    consent_given: bool = Field(default=False)


class GenerateResponse(ResponseModel):
    job_id: str
    status: Literal["queued", "running", "completed", "failed"]
    preset_id: str
    estimated_time_seconds: int | None = None
    output_url: str | None = None
    error: str | None = None


_STATUS: dict[str, Literal["queued", "running", "completed", "failed"]] = {
    "queued": "queued",
    "running": "running",
    "canceling": "running",
    "succeeded": "completed",
    "failed": "failed",
    "canceled": "failed",
}


def generate_inputs(preset: Preset, body: GenerateRequest) -> dict[str, Any]:
    """The contract's fields as the preset's inputs (a storyboard's prompt is its
    template); a field the preset does not take is refused, never dropped."""
    prompt_name = "prompt" if "prompt" in preset.inputs else "prompt_template"
    given = {
        prompt_name: body.prompt,
        "negative_prompt": body.negative_prompt,
        "seed": body.seed,
        "identity_reference": body.identity_reference,
    }
    given = {k: v for k, v in given.items() if v is not None}
    unknown = sorted(k for k in given if k not in preset.inputs)
    if unknown:
        raise ReelForgeError(
            ErrorCode.CONTRACT_MISMATCH,
            f"{preset.id} does not take {', '.join(unknown)}.",
            detail={"unknown_fields": unknown, "preset": preset.id},
            remediation=(
                f"Start it with POST /v1/runs {{preset, inputs, quality}}; its inputs are at "
                f"GET /v1/presets/{preset.id}.",
            ),
        )
    return given


@router.post(
    "/v1/generate",
    status_code=202,
    response_model=GenerateResponse,
    dependencies=[GENERATION_LIMIT],
)
async def generate(
    body: GenerateRequest,
    container: ContainerDep,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> GenerateResponse:
    """Start a preset from the seed's generate contract (§6.3); follow ``job_id`` at
    GET /v1/runs/{job_id}. With an identity reference, consent_given must be true."""
    service = presets_service(container)
    preset = service.library.get(body.preset_id)
    if body.identity_reference and not body.consent_given:
        raise ReelForgeError(
            ErrorCode.CONSENT_MISSING,
            "An identity reference needs consent_given: true.",
            detail={"field": "consent_given", "preset": preset.id},
        )
    prepared = await service.prepare(
        principal.user_id,
        preset.id,
        generate_inputs(preset, body),
        body.quality_level,
        consent_given=body.consent_given,
    )
    created = await start_run(
        container,
        principal.user_id,
        prepared.pipeline,
        preset=prepared.preset,
        idempotency_key=idempotency_key,
        record=prepared.record(),
    )
    run = created.view()
    status = _STATUS.get(run["status"] if run else "queued", "queued")
    return GenerateResponse(job_id=created.run_id, status=status, preset_id=preset.id)
