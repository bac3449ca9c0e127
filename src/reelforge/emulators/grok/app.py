"""The xAI emulator's routes. Where the reference is unsure, both variants are accepted
(noted at each place)."""

from __future__ import annotations

import asyncio
import base64
import io
import re
import time
from typing import Any

import av
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelforge.emulators.base import (
    EmulatorConfig,
    EmulatorState,
    EmuTask,
    Fault,
    FaultRaised,
    create_emulator_app,
    malformed_response,
    read_json,
    retry_after_headers,
    route_path,
)
from reelforge.emulators.base.render import render_image, render_video
from reelforge.emulators.inputcheck import decodable

SANDBOX_KEY = "xai-sandbox-emulator-key"
IMAGE_MODELS = frozenset(
    {"grok-2-image", "grok-2-image-1212", "grok-imagine-image", "grok-imagine-image-pro"}
)
# Image edits are a grok-imagine feature (reference §1); grok-2-image only generates.
EDIT_MODELS = frozenset({"grok-imagine-image", "grok-imagine-image-pro"})
VIDEO_MODELS = frozenset({"grok-imagine-video", "grok-imagine-video-1.5"})
ASPECT_RATIOS = ("16:9", "4:3", "1:1", "9:16", "3:4", "3:2", "2:3")
# 1080p appears only in Vercel's schema (probably the newer model); accepted for both.
VIDEO_RESOLUTIONS = ("480p", "720p", "1080p")
DEFAULT_VIDEO_SECONDS = 8  # docs examples use 10, gateways report 8–10
USD_TICKS_PER_SECOND = 500_000_000  # ≈ $0.05/s of video at 1e-10 USD per tick
_INVALID = "Client specified an invalid argument"


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": code, "error": message, **extra}, status_code=status)


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "auth":
        return _error(
            400,
            _INVALID,
            "Incorrect API key provided: xa***. You can obtain an API key from https://console.x.ai.",
        )
    if kind == "rate_limit":
        # Whether xAI sends Retry-After is not documented; clients honour it when present.
        return JSONResponse(
            {"code": "Too many requests", "error": message or "Too many requests. Slow down."},
            status_code=429,
            headers=retry_after_headers(fault),
        )
    if kind == "server_error":
        status = fault.status if fault is not None else 503
        return _error(status, "Service unavailable", message or "The service is overloaded.")
    if kind == "malformed":
        return malformed_response()
    if kind == "insufficient_credit":
        return _error(
            429,
            "Too many requests",
            message
            or "Your team has either used all available credits or reached its monthly "
            "spending limit. To continue making API requests, please purchase more credits "
            "or raise your spending limit.",
        )
    if kind == "moderation":
        return _error(
            400,
            _INVALID,
            message or "Generated image rejected by content moderation.",
            usage={"cost_in_usd_ticks": 200_000_000},
        )
    if kind == "not_found":
        return _error(404, "Some requested entity was not found", message or "Not found.")
    if kind == "unprocessable":
        # Body deserialisation failures (missing field, wrong type) answer 422.
        return _error(422, _INVALID, message or "Failed to deserialize the JSON body.")
    return _error(400, _INVALID, message or "Invalid request.")


def _invalid(message: str) -> FaultRaised:
    return FaultRaised("validation", message=message)


def _missing(field: str) -> FaultRaised:
    return FaultRaised(
        "unprocessable",
        message=f"Failed to deserialize the JSON body into the target type: missing field `{field}`",
    )


class GrokEmulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.state = EmulatorState("grok", config, render_error)
        self.keys = {SANDBOX_KEY, *config.keys}

    def owner(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or key.strip() not in self.keys:
            raise FaultRaised("auth")
        return key.strip()

    # -- images ---------------------------------------------------------------------
    async def images(self, request: Request) -> Response:
        fault = await self.state.gate("submit")
        owner = self.owner(request)
        body = await read_json(request)
        edit = route_path(request).endswith("/edits")
        model, prompt = _model_and_prompt(body, IMAGE_MODELS)
        n = body.get("n", 1)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10:
            raise _invalid("n must be an integer between 1 and 10")
        fmt = body.get("response_format", "url")
        if fmt not in ("url", "b64_json"):
            raise _invalid("response_format must be one of: url, b64_json")
        if model.startswith("grok-2-image"):
            for unsupported in ("quality", "size", "style"):
                if unsupported in body:
                    raise _invalid(f"Argument not supported on this model: {unsupported}")
        aspect = _aspect(body.get("aspect_ratio"), allow_auto=True)
        if body.get("resolution") not in (None, "1k", "2k"):
            raise _invalid("resolution must be one of: 1k, 2k")
        source: bytes | None = None
        if edit:
            if model not in EDIT_MODELS:
                raise _invalid(f"Model {model} does not support image editing")
            image = body.get("image")
            if not isinstance(image, dict) or not isinstance(image.get("url"), str):
                raise _missing("image")
            source = await _load(self.state, image["url"], "image")
        task, _ = self.state.tasks.create(
            "images.edits" if edit else "images.generations",
            model=model,
            prompt=prompt,
            owner=owner,
            run_seconds=0,
        )
        if fault is not None and fault.kind == "moderation":
            raise FaultRaised("moderation", fault, fault.message)
        if fault is not None and fault.kind == "fail":
            raise FaultRaised("server_error", Fault("server_error", status=500), fault.message)
        if fault is not None and fault.kind == "stuck":
            await asyncio.sleep(fault.seconds or 60.0)
        await asyncio.sleep(self.state.config.image_run_seconds)
        items = []
        for index in range(n):

            def draw(i: int = index) -> bytes:
                return render_image(prompt, i, aspect_ratio=aspect, fmt="JPEG", source=source)

            revised = f"{prompt} (rendered by the ReelForge xAI emulator)"
            if fmt == "b64_json":
                items.append(
                    {"b64_json": base64.b64encode(draw()).decode(), "revised_prompt": revised}
                )
            else:
                items.append(
                    {"url": self.state.file_url(request, "jpeg", draw), "revised_prompt": revised}
                )
        task.outputs = items
        return JSONResponse({"data": items})

    # -- video ----------------------------------------------------------------------
    async def videos(self, request: Request) -> Response:
        fault = await self.state.gate("submit")
        owner = self.owner(request)
        body = await read_json(request)
        edit = route_path(request).endswith("/edits")
        model, prompt = _model_and_prompt(body, VIDEO_MODELS)
        inputs: dict[str, Any] = {}
        params: dict[str, Any] = {}
        if edit:
            for field in ("duration", "aspect_ratio", "resolution"):
                if field in body:
                    raise _invalid(f"{field} is not supported for video edits")
            video = body.get("video")
            if not isinstance(video, dict) or not isinstance(video.get("url"), str):
                raise _missing("video")
            inputs["video"] = await _load(self.state, video["url"], "video")
            # An edit keeps the source's length (at most 15 s, as for generation).
            params["duration"] = min(15, max(1, round(_seconds(inputs["video"]))))
        else:
            duration = body.get("duration", DEFAULT_VIDEO_SECONDS)
            if (
                isinstance(duration, bool)
                or not isinstance(duration, int)
                or not 1 <= duration <= 15
            ):
                raise _invalid("duration must be an integer between 1 and 15")
            params["duration"] = duration
            params["aspect_ratio"] = _aspect(body.get("aspect_ratio"))
            if body.get("resolution", "480p") not in VIDEO_RESOLUTIONS:
                raise _invalid(f"resolution must be one of: {', '.join(VIDEO_RESOLUTIONS)}")
            image = body.get("image")
            refs = body.get("reference_images")
            if image is not None and refs is not None:
                raise _invalid("image and reference_images cannot be combined")
            if image is not None:
                if not isinstance(image, dict) or not isinstance(image.get("url"), str):
                    raise _invalid("image must be an object with a url")
                inputs["image"] = await _load(self.state, image["url"], "image")
            if refs is not None:
                if not isinstance(refs, list) or not 1 <= len(refs) <= 7:
                    raise _invalid("reference_images must hold 1 to 7 images")
                first = refs[0] if isinstance(refs[0], dict) else {}
                inputs["image"] = await _load(self.state, str(first.get("url")), "reference_images")
        task, _ = self.state.tasks.create(
            "videos.edits" if edit else "videos.generations",
            model=model,
            prompt=prompt,
            params=params,
            inputs=inputs,
            owner=owner,
        )
        self.state.apply_task_fault(task, fault)
        return JSONResponse({"request_id": task.id})

    async def video_status(self, request: Request) -> Response:
        fault = await self.state.gate("poll")
        owner = self.owner(request)
        task = self.state.tasks.get(request.path_params["request_id"], owner=owner)
        if task is None:
            raise FaultRaised("not_found", message="The requested video generation was not found.")
        if fault is not None and fault.kind in ("moderation", "fail", "stuck"):
            self.state.apply_task_fault(task, fault)
        state, progress = task.state()
        if state == "queued":
            # Deferred-request style: accepted, nothing to report yet. The docs show
            # {"status": "pending"} with HTTP 200 instead; we answer that while running.
            return JSONResponse({"request_id": task.id}, status_code=202)
        if state == "running":
            return JSONResponse(
                {"status": "pending", "model": task.model, "progress": int(progress * 100)}
            )
        if time.monotonic() - task.finishes_at > self.state.config.file_ttl_seconds:
            return JSONResponse({"status": "expired", "model": task.model})
        if state == "failed" and task.failure and task.failure[0] == "fail":
            return JSONResponse(
                {
                    "status": "failed",
                    "model": task.model,
                    "error": {"code": "internal_error", "message": task.failure[1]},
                }
            )
        video = self._video_output(request, task)
        blocked = task.failure is not None and task.failure[0] == "moderation"
        return JSONResponse(
            {
                "status": "done",
                "model": task.model,
                "video": {**video, "respect_moderation": not blocked},
                "usage": {"cost_in_usd_ticks": video["duration"] * USD_TICKS_PER_SECOND},
                "progress": 100,
            }
        )

    def _video_output(self, request: Request, task: EmuTask) -> dict[str, Any]:
        if not task.outputs:
            duration = int(task.params.get("duration") or DEFAULT_VIDEO_SECONDS)
            source_video = task.inputs.get("video")
            aspect = task.params.get("aspect_ratio")

            def draw() -> bytes:
                return render_video(
                    task.prompt,
                    task.seed,
                    duration=duration,
                    aspect_ratio=None if task.inputs.get("image") and not aspect else aspect,
                    source_image=task.inputs.get("image"),
                    source_video=source_video,
                    with_audio=True,  # Grok Imagine videos come with sound
                )

            url = self.state.file_url(request, "mp4", draw)
            task.outputs = [{"url": url, "duration": duration}]
        return dict(task.outputs[0])

    async def models(self, request: Request) -> Response:
        await self.state.gate("account")
        self.owner(request)
        models = sorted(IMAGE_MODELS | VIDEO_MODELS)
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": 1735689600, "owned_by": "xai"}
                    for m in models
                ],
            }
        )


def _model_and_prompt(body: dict[str, Any], known: frozenset[str]) -> tuple[str, str]:
    model = body.get("model")
    if not isinstance(model, str):
        raise _missing("model")
    if model not in known:
        raise FaultRaised(
            "not_found",
            message=f"The model {model} does not exist or your team does not have access to it.",
        )
    prompt = body.get("prompt")
    if not isinstance(prompt, str):
        raise _missing("prompt")
    if not prompt.strip():
        raise _invalid("prompt must not be empty")
    return model, prompt


_RATIO = re.compile(r"^\d+(\.\d+)?:\d+(\.\d+)?$")


def _aspect(value: Any, *, allow_auto: bool = False) -> str | None:
    """Listed ratios are certain; other W:H forms appear in third-party lists, so any
    well-formed ratio (and "auto" for images) is accepted."""
    if value is None or (allow_auto and value == "auto"):
        return None
    if isinstance(value, str) and (value in ASPECT_RATIOS or _RATIO.match(value)):
        return value
    raise _invalid(f"aspect_ratio must be one of: {', '.join(ASPECT_RATIOS)}")


def _seconds(video: bytes) -> float:
    try:
        with av.open(io.BytesIO(video), mode="r") as container:
            return float(container.duration or 0) / 1_000_000
    except av.FFmpegError as exc:
        raise _invalid("video could not be decoded as a video") from exc


async def _load(state: EmulatorState, ref: str, field: str) -> bytes:
    try:
        data = await state.load_media(ref)
    except FaultRaised:
        raise
    except Exception as exc:
        raise _invalid(f"Could not fetch {field} from the given url") from exc
    if not decodable(data, "video" if field == "video" else "image"):
        raise _invalid(f"The {field} could not be decoded")
    return data


def build_app(config: EmulatorConfig) -> Starlette:
    emu = GrokEmulator(config)
    routes = [
        Route("/v1/images/generations", emu.images, methods=["POST"]),
        Route("/v1/images/edits", emu.images, methods=["POST"]),
        Route("/v1/videos/generations", emu.videos, methods=["POST"]),
        Route("/v1/videos/edits", emu.videos, methods=["POST"]),
        Route("/v1/videos/{request_id}", emu.video_status, methods=["GET"]),
        Route("/v1/models", emu.models, methods=["GET"]),
    ]
    return create_emulator_app(emu.state, routes)
