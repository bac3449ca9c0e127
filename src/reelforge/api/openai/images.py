"""``POST /images/generations`` and ``POST /images/edits`` (multipart, one or several
``image`` parts and a ``mask``), answered as the SDK's ``ImagesResponse``."""

from __future__ import annotations

import base64
import time
from typing import Any, cast

from fastapi import APIRouter, Request, Response, UploadFile

from reelforge.api.deps import GENERATION_LIMIT, ContainerDep, CurrentPrincipal
from reelforge.api.openai.forms import parse_form
from reelforge.api.openai.nodes import media_pipeline
from reelforge.api.openai.runs import artifact_bytes, artifact_link, output_ids, run_and_wait
from reelforge.api.openai.schemas import IMAGE_EXTRAS, ImageGenerationIn, given_extras
from reelforge.api.routes.artifacts import upload
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.pipeline import NodeInput

router = APIRouter(tags=["openai"])


async def _answer(
    container: Container,
    request: Request,
    principal: Principal,
    run: dict[str, Any],
    response_format: str | None,
    ignored: list[str],
    response: Response,
) -> dict[str, Any]:
    data: list[dict[str, Any]] = []
    for artifact_id in output_ids(run):
        if response_format == "b64_json":
            raw = await artifact_bytes(container, artifact_id, principal.user_id)
            data.append({"b64_json": base64.b64encode(raw).decode()})
        else:
            data.append({"url": artifact_link(container, request, artifact_id)})
    if ignored:
        response.headers["x-reelforge-ignored"] = ",".join(sorted(set(ignored)))
    return {"created": int(time.time()), "data": data}


@router.post("/images/generations", dependencies=[GENERATION_LIMIT])
async def generate_images(
    body: ImageGenerationIn,
    request: Request,
    response: Response,
    container: ContainerDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    ignored = given_extras(body, IMAGE_EXTRAS)
    pipeline = await media_pipeline(
        container,
        model=body.model,
        mode=Mode.T2I,
        prompt=body.prompt,
        extras=body.reelforge,
        ignored=ignored,
        n=body.n or 1,
        size=body.size,
        quality=body.quality,
    )
    run = await run_and_wait(container, principal, pipeline, request, response)
    return await _answer(
        container, request, principal, run, body.response_format, ignored, response
    )


@router.post("/images/edits", dependencies=[GENERATION_LIMIT])
async def edit_images(
    request: Request,
    response: Response,
    container: ContainerDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    body, files = await parse_form(
        request, ImageGenerationIn, files=("image", "image[]", "mask", "markup")
    )
    images = files.get("image", []) + files.get("image[]", [])
    if not images:
        raise ReelForgeError(
            ErrorCode.CONTRACT_MISMATCH,
            "An edit needs an `image` (one or several image files).",
            detail={"param": "image", "missing_fields": ["image"]},
        )
    ignored = given_extras(body, IMAGE_EXTRAS)
    inputs: list[NodeInput] = []
    for part in images:
        stored = await upload(cast(UploadFile, part), container, principal)
        inputs.append(NodeInput(artifact_id=stored["id"], kind=MediaKind.IMAGE))
    for name in ("mask", "markup"):
        if files.get(name):
            ignored.append(name)  # no ReelForge edit model takes a mask slot (yet)
    pipeline = await media_pipeline(
        container,
        model=body.model,
        mode=Mode.I2I,
        prompt=body.prompt,
        extras=body.reelforge,
        ignored=ignored,
        n=body.n or 1,
        size=body.size,
        quality=body.quality,
        inputs=inputs,
    )
    run = await run_and_wait(container, principal, pipeline, request, response)
    return await _answer(
        container, request, principal, run, body.response_format, ignored, response
    )
