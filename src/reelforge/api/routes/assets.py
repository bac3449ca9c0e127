"""The asset studio's generation API (seed 004): ``POST /api/generate`` as the seed names
it, the same at ``/v1/assets/generate``, the modes' contracts and batches."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from pydantic import ConfigDict, Field, field_validator

from reelforge.api.deps import ContainerDep
from reelforge.api.routes.assets_deps import (
    AssetCaller,
    LimitedCaller,
    ModePath,
    assets_pipeline,
    mode_ids,
)
from reelforge.api.schemas import SPACE, RequestModel, not_a_bool, one_of
from reelforge.apps.assets.contract import ModeContract
from reelforge.apps.assets.modes.registry import default_modes
from reelforge.apps.assets.pipeline import GenerateRequest
from reelforge.apps.assets.variants import MAX_BATCH

router = APIRouter(tags=["assets"])

MAX_WAIT = 60.0


# A prompt with something left once control characters and spaces are out (sanitize).
PROMPT: dict[str, Any] = {"pattern": rf"[^{SPACE}\x00-\x1f\x7f]"}


def _mode_rules(mode: ModeContract) -> dict[str, Any]:
    """What a mode takes (its presets, prompt fields and prompt length), as a schema."""
    return {
        "properties": {
            "mode": {"const": mode.id},
            "tool": {"enum": [*mode.presets, "", None]},  # empty: the default
            "prompt": {"maxLength": mode.max_prompt_chars},
            "fields": {
                "properties": {k: {"enum": list(v)} for k, v in mode.fields.items()},
                "additionalProperties": False,
            },
        }
    }


def _per_mode(schema: dict[str, Any]) -> None:
    schema["oneOf"] = [_mode_rules(m) for m in default_modes().all()]


def _uiux_tool(schema: dict[str, Any]) -> None:
    schema["enum"] = [*default_modes().get("uiux").presets, "", None]


def _uiux_prompt(schema: dict[str, Any]) -> None:
    schema.update(PROMPT, maxLength=default_modes().get("uiux").max_prompt_chars)


class GenerateIn(RequestModel):
    # The mode decides the presets, prompt fields and prompt length (prompt_engine).
    model_config = ConfigDict(extra="forbid", json_schema_extra=_per_mode)

    mode: str = Field(
        description="pixel, business, uiux, vector or emoji (GET /v1/assets/modes)",
        json_schema_extra=one_of(mode_ids),
    )
    prompt: str = Field(
        min_length=1, max_length=2000, description="What to make.", json_schema_extra=PROMPT
    )
    tool: str | None = Field(default=None, description="The mode's preset (default: its first).")
    batchCount: int = Field(default=1, ge=1, le=MAX_BATCH, description="Variants, 1 to 4.")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    quality: Literal["standard", "hd"] = Field(
        default="standard", description="hd needs an account and costs HD credits."
    )
    negativePrompt: str | None = Field(default=None, max_length=500)
    fields: dict[str, str] = Field(
        default_factory=dict, description="The mode's prompt fields (see its contract)."
    )
    workspaceId: str | None = None
    wait: float = Field(
        default=30.0,
        ge=0,
        le=MAX_WAIT,
        description="Seconds to wait for the batch to finish (0: answer at once, 202).",
    )

    _numbers = field_validator("batchCount", "seed", "wait", mode="before")(not_a_bool)


async def _generate(
    body: GenerateIn, response: Response, container: ContainerDep, caller: LimitedCaller
) -> dict[str, Any]:
    pipeline = assets_pipeline(container)
    result = await pipeline.generate(
        caller,
        GenerateRequest(
            mode=body.mode,
            prompt=body.prompt,
            tool=body.tool,
            batch_count=body.batchCount,
            seed=body.seed,
            quality=body.quality,
            negative_prompt=body.negativePrompt,
            fields=body.fields,
            workspace_id=body.workspaceId,
        ),
        wait=body.wait,
    )
    response.status_code = 200 if result["status"] != "running" else 202
    return result


_DOC = (
    "Generate a batch of 1 to 4 variants in one mode: mode resolution, variant mutation, "
    "prompt validation, negative bank, quality matrix, dispatch with fallbacks, job records "
    "and HD credits. 200 with the batch when it finished within `wait` seconds, else 202 "
    "(poll GET /v1/assets/batches/{id})."
)
router.add_api_route(
    "/api/generate",
    _generate,
    methods=["POST"],
    status_code=202,
    summary="Generate (seed path)",
    description=_DOC,
)
router.add_api_route(
    "/v1/assets/generate",
    _generate,
    methods=["POST"],
    status_code=202,
    summary="Generate",
    description=_DOC,
)


@router.get("/v1/assets/modes")
async def list_modes(container: ContainerDep) -> dict[str, Any]:
    """Every asset mode's contract: presets, fields, constraints, providers, exports."""
    return {"modes": [m.describe() for m in assets_pipeline(container).modes.all()]}


@router.get("/v1/assets/modes/{mode}")
async def get_mode(mode: ModePath, container: ContainerDep) -> dict[str, Any]:
    return assets_pipeline(container).modes.get(mode).describe()


@router.get("/v1/assets/batches/{batch_id}")
async def get_batch(batch_id: str, container: ContainerDep, caller: AssetCaller) -> dict[str, Any]:
    """A batch and its jobs (settled once its run ended)."""
    return await assets_pipeline(container).batch(caller, batch_id)


@router.get(
    "/v1/assets/jobs/{job_id}/content",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def job_content(job_id: str, container: ContainerDep, caller: AssetCaller) -> Response:
    """A job's image, for whoever made it (a guest too: by their own guest cookie)."""
    data, content_type = await assets_pipeline(container).job_image(caller, job_id)
    return Response(
        data,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get(
    "/v1/assets/uiux/code/{code_id}/preview",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def code_preview(code_id: str, container: ContainerDep, caller: AssetCaller) -> Response:
    """The Chromium screenshot of generated HTML, for whoever generated it."""
    from reelforge.apps.assets.uiux_code import get_preview

    data = await get_preview(container, caller, code_id)
    return Response(data, media_type="image/png", headers={"Cache-Control": "private"})


def routers() -> list[APIRouter]:
    """Every router of the asset studio (api/products.py mounts them)."""
    from reelforge.api.routes import assets_accounts, assets_library, assets_oauth

    return [router, assets_library.router, assets_accounts.router, assets_oauth.router]


class UiuxIn(RequestModel):
    prompt: str = Field(min_length=1, max_length=2000, json_schema_extra=_uiux_prompt)
    tool: str | None = Field(
        default=None,
        description="landing_page, dashboard, mobile_screen",
        json_schema_extra=_uiux_tool,
    )
    framework: Literal["html_tailwind", "react"] = "html_tailwind"
    preview: bool = Field(default=True, description="Render a screenshot (HTML only).")


async def _uiux(body: UiuxIn, container: ContainerDep, caller: LimitedCaller) -> dict[str, Any]:
    from reelforge.apps.assets.uiux_code import generate_code

    return await generate_code(
        container,
        assets_pipeline(container).modes,
        caller,
        body.prompt,
        tool=body.tool,
        framework=body.framework,
        preview=body.preview,
    )


_UIUX_DOC = (
    "UI/UX code from an OpenAI-compatible chat model: HTML/Tailwind or a React component, "
    "stored as an artifact, with a Chromium screenshot of the HTML. A preview on a server "
    "without Chromium (REELFORGE_CHROMIUM_PATH, else /usr/bin/chromium) is refused with 424 "
    "DEPENDENCY_MISSING before the model is asked: nothing is spent or stored; send "
    '`"preview": false` for the code alone.'
)
router.add_api_route(
    "/api/uiux/generate",
    _uiux,
    methods=["POST"],
    summary="UI/UX code (seed path)",
    description=_UIUX_DOC,
)
router.add_api_route(
    "/v1/assets/uiux/generate",
    _uiux,
    methods=["POST"],
    summary="UI/UX code",
    description=_UIUX_DOC,
)


@router.get("/v1/assets/uiux/code/{code_id}", response_class=PlainTextResponse)
async def get_code(code_id: str, container: ContainerDep, caller: AssetCaller) -> PlainTextResponse:
    """The generated code as text (HTML or JSX)."""
    from reelforge.apps.assets.uiux_code import get_code as load

    row = await load(container, caller, code_id)
    kind = "text/html" if row.framework == "html_tailwind" else "text/javascript"
    # As a download, never rendered on our origin (generated markup is untrusted).
    return PlainTextResponse(
        row.code,
        media_type=f"{kind}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{row.id}.{"html" if row.framework == "html_tailwind" else "jsx"}"'
        },
    )
