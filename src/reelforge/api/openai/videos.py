"""``/videos``: create (multipart, ``input_reference`` for image-to-video), retrieve,
list (cursor), delete, and ``/content``. A video is one of our durable runs: its id is
the run id, its status and progress are the run's, and only its owner sees it."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import Field

from reelforge.api.deps import GENERATION_LIMIT, ContainerDep, CurrentPrincipal
from reelforge.api.openai.forms import parse_form
from reelforge.api.openai.mapping import VIDEO_NAME, video_meta, video_name, video_object
from reelforge.api.openai.nodes import media_pipeline
from reelforge.api.openai.runs import idempotency_key, output_ids, run_headers, start
from reelforge.api.openai.schemas import ReelForgeExtras
from reelforge.api.routes.artifacts import artifact_content, upload
from reelforge.api.routes.runs import present_run, view
from reelforge.api.schemas import RequestModel
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.pipeline import NodeInput
from reelforge.engine.run_views import run_view
from reelforge.media.frames import first_frame

router = APIRouter(tags=["openai"])
POLL_AFTER_MS = "500"  # read by the SDK's videos.poll (openai-poll-after-ms)


class VideoIn(RequestModel):
    prompt: str = Field(max_length=32000)
    model: str | None = None
    seconds: str | None = None
    size: str | None = None
    input_reference: dict[str, Any] | None = None  # {"image_url"} or {"file_id"}
    reelforge: ReelForgeExtras = Field(default_factory=ReelForgeExtras)


def _as_video(run: dict[str, Any], pipeline: dict[str, Any]) -> dict[str, Any]:
    nodes = pipeline.get("nodes") or [{}]
    return video_object(run, nodes[0], video_meta(pipeline.get("name", "")))


async def _read(container: Container, run_id: str, owner_id: str) -> dict[str, Any]:
    run_row, steps = await container.runs.get_run(run_id, owner_id)  # others': NOT_FOUND
    run = present_run(run_view(run_row, steps))
    return {"run": run, "video": _as_video(run, run_row.pipeline)}


@router.post("/videos", dependencies=[GENERATION_LIMIT])
async def create_video(
    request: Request, response: Response, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    body, files = await parse_form(request, VideoIn, files=("input_reference",))
    inputs: list[NodeInput] = []
    for part in files.get("input_reference", []):
        stored = await upload(cast(UploadFile, part), container, principal)
        inputs.append(NodeInput(artifact_id=stored["id"], kind=MediaKind.IMAGE))
    ref = body.input_reference or {}
    if ref.get("image_url"):
        inputs.append(NodeInput(url=str(ref["image_url"]), kind=MediaKind.IMAGE))
    elif ref:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "input_reference takes an uploaded file or {'image_url': ...}.",
            detail={"param": "input_reference"},
        )
    params: dict[str, Any] = {}
    if body.seconds:
        params["duration"] = body.seconds
    ignored: list[str] = []
    pipeline = await media_pipeline(
        container,
        model=body.model,
        mode=Mode.I2V if inputs else Mode.T2V,
        prompt=body.prompt,
        extras=body.reelforge,
        ignored=ignored,
        size=body.size,
        inputs=inputs,
        params=params,
        name=video_name(body.size or "auto", body.seconds or "auto"),
    )
    run_id, _new = await start(
        container, principal, pipeline, wait=False, idempotency=idempotency_key(request)
    )
    read = await _read(container, run_id, principal.user_id)
    run_headers(response, read["run"])
    if ignored:
        response.headers["x-reelforge-ignored"] = ",".join(ignored)
    return cast(dict[str, Any], read["video"])


@router.get("/videos/{video_id}")
async def retrieve_video(
    video_id: str, response: Response, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    read = await _read(container, video_id, principal.user_id)
    run_headers(response, read["run"])
    response.headers["openai-poll-after-ms"] = POLL_AFTER_MS
    return cast(dict[str, Any], read["video"])


@router.get("/videos")
async def list_videos(
    container: ContainerDep,
    principal: CurrentPrincipal,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    order: Literal["asc", "desc"] = "desc",
) -> dict[str, Any]:
    """The caller's videos, newest first (``after``: the last id of the previous page)."""
    if order == "asc":
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "Videos are listed newest first only (order=desc).",
            detail={"param": "order"},
        )
    data: list[dict[str, Any]] = []
    cursor = after
    while len(data) < limit:
        rows = await container.runs.list_runs(principal.user_id, limit=100, before=cursor)
        for row in rows:
            if _is_video(container, row.pipeline):
                run = await view(container, row.id, principal.user_id)
                data.append(_as_video(run, row.pipeline))
                if len(data) == limit:
                    break
        if len(rows) < 100:
            break
        cursor = rows[-1].id
    more = len(data) == limit
    return {
        "object": "list",
        "data": data,
        "has_more": more,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def _is_video(container: Container, pipeline: dict[str, Any]) -> bool:
    if str(pipeline.get("name", "")).startswith(VIDEO_NAME):
        return True
    nodes = pipeline.get("nodes") or []
    if len(nodes) != 1 or not nodes[0].get("model"):
        return False
    entry = container.catalog.get_cached(nodes[0]["model"])
    return entry is not None and entry.output_kind.value == "video"


@router.delete("/videos/{video_id}")
async def delete_video(
    video_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Stops the video if it is still being made (the unspent hold comes back); the run
    and its files stay in the ledger's history, as every run's do."""
    run, _steps = await container.runs.get_run(video_id, principal.user_id)
    if run.status in ("queued", "running"):
        finishing = await container.runs.cancel_run(video_id, principal.user_id)
        if finishing:
            await container.runner.enqueue(finishing, at_provider=True)
    return {"id": video_id, "object": "video.deleted", "deleted": True}


@router.get("/videos/{video_id}/content", response_model=None)
async def video_content(
    video_id: str,
    request: Request,
    container: ContainerDep,
    principal: CurrentPrincipal,
    variant: Literal["video", "thumbnail", "spritesheet"] = "video",
) -> StreamingResponse | Response:
    """The MP4 (with range requests), or ``variant=thumbnail``: its first frame (WebP)."""
    read = await _read(container, video_id, principal.user_id)
    if read["video"]["status"] != "completed":
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            f"The video is {read['video']['status']}: its content is not ready.",
            detail={"param": "video_id", "status": read["video"]["status"]},
            remediation=("Poll GET /openai/v1/videos/{id} until its status is completed.",),
        )
    artifact_id = output_ids(read["run"])[0]
    if variant == "thumbnail":
        row = await container.artifacts.get(artifact_id, owner_id=principal.user_id)
        source = await container.artifacts.local_path(row)
        with tempfile.TemporaryDirectory(prefix="rf-thumb-") as tmp:
            target = Path(tmp) / "thumbnail.webp"
            await asyncio.to_thread(first_frame, source, target)
            data = target.read_bytes()
        return Response(content=data, media_type="image/webp")
    if variant != "video":
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"The {variant} variant is not made; ask for variant=video or thumbnail.",
            detail={"param": "variant"},
        )
    return await artifact_content(
        artifact_id, request, container, range_header=request.headers.get("range")
    )
