"""Sync Labs routes: ``POST /v2/generate`` (JSON, or multipart with ``video``/``audio``
files), ``GET /v2/generate/{id}``, ``GET /v2/generations``.

Where the reference is unsure both variants are accepted: multipart uploads also at
``/v2/generate/upload`` (the docs' path; the SDK posts multipart to ``/v2/generate``), and
multipart ``input``/``options`` as JSON strings. Create answers 201 (not pinned by the SDK).
Errors are ``{"message": str | [str], "statusCode": n}``. A moderation refusal is the
``REJECTED`` status.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
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
    retry_after_headers,
)
from reelforge.emulators.sync.render import lipsync, output_seconds, probe

SANDBOX_CREDENTIAL = {"api_key": "sk-sync-sandbox"}
MODELS = ("lipsync-2", "lipsync-2-pro", "lipsync-1.9.0-beta", "react-1", "sync-3")
SYNC_MODES = ("bounce", "loop", "cut_off", "silence", "remap")
_ERRORS: dict[str, tuple[int, str]] = {
    "auth": (401, "Unauthorized: invalid API key"),
    "insufficient_credit": (402, "Insufficient credits: please add credits to your account"),
    "rate_limit": (429, "ThrottlerException: Too Many Requests"),
    "not_found": (404, "Generation not found"),
    "validation": (400, "Bad Request"),
    "moderation": (400, "The input was rejected by content moderation"),
}
_STATUS = {
    "queued": "PENDING",
    "running": "PROCESSING",
    "succeeded": "COMPLETED",
    "failed": "FAILED",
    "canceled": "FAILED",
}


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "malformed":
        return malformed_response()
    if kind == "server_error":
        status = fault.status if fault is not None else 500
        return JSONResponse(
            {"message": message or "Internal server error", "statusCode": status}, status
        )
    status, text = _ERRORS.get(kind, _ERRORS["validation"])
    headers = retry_after_headers(fault) if kind == "rate_limit" else None
    return JSONResponse({"message": message or text, "statusCode": status}, status, headers=headers)


def _bad(*messages: str) -> FaultRaised:
    """Sync's 400s carry a list of messages (NestJS validation style)."""
    return FaultRaised("validation", message=list(messages))  # type: ignore[arg-type]


def create_app(config: EmulatorConfig) -> Starlette:
    state = EmulatorState("sync", config, render_error)
    accepted = set(config.keys) | {SANDBOX_CREDENTIAL["api_key"]}

    def owner_of(request: Request) -> str:
        key = request.headers.get("x-api-key", "").strip()
        if key not in accepted:
            raise FaultRaised("auth")
        return key

    def generation(request: Request, task: EmuTask) -> dict[str, Any]:
        current, _ = task.state()
        status = _STATUS[current]
        error = error_code = None
        output_url = output_duration = None
        if current == "failed" and task.failure is not None:
            kind, error = task.failure
            if kind == "moderation":
                status, error_code = "REJECTED", "content_moderation"
            else:
                error_code = "generation_failed"
        elif current == "succeeded":
            if not task.outputs:
                video, audio = task.inputs["video"], task.inputs["audio"]
                mode = task.params["sync_mode"]
                task.outputs.append(
                    {"url": state.file_url(request, "mp4", lambda: lipsync(video, audio, mode))}
                )
            output_url = task.outputs[0]["url"]
            output_duration = round(task.extra["output_seconds"], 3)
        return {
            "id": task.id,
            "createdAt": task.extra["created_at"],
            "status": status,
            "model": task.model,
            "input": task.params["input"],
            "options": task.params["options"],
            "outputUrl": output_url,
            "outputDuration": output_duration,
            "segments": None,
            "segmentOutputUrl": None,
            "webhookUrl": task.callback_url,
            "error": error,
            "error_code": error_code,
        }

    async def read_create(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The create body and uploaded files, from JSON or multipart."""
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("multipart/"):
            form = await request.form()
            body: dict[str, Any] = {}
            files: dict[str, bytes] = {}
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[name] = await value.read()
                elif name in ("input", "options", "segments"):
                    try:
                        body[name] = json.loads(value)
                    except ValueError:
                        raise _bad(f"{name} must be a JSON string") from None
                else:
                    body[name] = value
            return body, files
        try:
            body = await request.json()
        except ValueError:
            raise _bad("body must be JSON") from None
        if not isinstance(body, dict):
            raise _bad("body must be a JSON object")
        return body, {}

    async def create(request: Request) -> Response:
        fault = await state.gate("submit")
        owner = owner_of(request)
        body, files = await read_create(request)
        model = body.get("model")
        if model not in MODELS:
            raise _bad(f"model must be one of the following values: {', '.join(MODELS)}")
        items = body.get("input") or []
        if not isinstance(items, list):
            raise _bad("input must be an array")
        videos = [i for i in items if isinstance(i, dict) and i.get("type") == "video"]
        audios = [i for i in items if isinstance(i, dict) and i.get("type") == "audio"]
        if len(videos) + ("video" in files) != 1:
            raise _bad("input must contain exactly one video")
        if not audios and "audio" not in files:
            raise _bad("input must contain at least one audio or text item")
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise _bad("options must be an object")
        mode = options.get("sync_mode", "cut_off")
        if mode not in SYNC_MODES:
            raise _bad(f"options.sync_mode must be one of: {', '.join(SYNC_MODES)}")
        temperature = options.get("temperature", 0.5)
        if not isinstance(temperature, int | float) or not 0 <= temperature <= 1:
            raise _bad("options.temperature must be between 0 and 1")
        media: dict[str, bytes] = {}
        failure = None
        try:
            media["video"] = files.get("video") or await state.load_media(str(videos[0]["url"]))
            media["audio"] = files.get("audio") or await state.load_media(str(audios[0]["url"]))
            video_s, audio_s = probe(media["video"], media["audio"])
        except Exception:  # unreadable or unreachable media fails the generation
            failure, video_s, audio_s = ("fail", "Failed to download or decode the inputs"), 0, 0
        task, _ = state.tasks.create(
            "lipsync",
            model=model,
            params={"input": items, "options": options, "sync_mode": mode},
            inputs=media,
            owner=owner,
            callback_url=body.get("webhookUrl"),
        )
        task.failure = failure
        task.extra["output_seconds"] = output_seconds(video_s, audio_s, mode)
        task.extra["created_at"] = state.created_utc(task).isoformat().replace("+00:00", "Z")
        state.apply_task_fault(task, fault)
        if task.callback_url:
            state.schedule_callback(task, lambda t: generation(request, t))
        return JSONResponse(generation(request, task), 201)

    async def get(request: Request) -> Response:
        await state.gate("poll")
        task = state.tasks.get(request.path_params["id"], owner_of(request))
        if task is None:
            raise FaultRaised("not_found")
        return JSONResponse(generation(request, task))

    async def list_generations(request: Request) -> Response:
        await state.gate("account")
        owner = owner_of(request)
        ids = {i for i in request.query_params.get("ids", "").split(",") if i}
        wanted = request.query_params.get("status")
        found = []
        for task in state.tasks.tasks.values():
            if task.owner != owner or (ids and task.id not in ids):
                continue
            body = generation(request, task)
            if wanted is None or body["status"] == wanted:
                found.append(body)
        return JSONResponse(found)

    return create_emulator_app(
        state,
        [
            Route("/v2/generate", create, methods=["POST"]),
            Route("/v2/generate/upload", create, methods=["POST"]),
            Route("/v2/generate/{id}", get, methods=["GET"]),
            Route("/v2/generations", list_generations, methods=["GET"]),
        ],
    )
