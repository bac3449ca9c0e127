"""The Atlas Cloud emulator: the model list, per-model schemas, generation, prediction
polling, media upload and balance, with Atlas's envelope ``{code, message|msg, data}``.

Contract: shared/reference/providers-other.md §1. Error bodies carry ``msg`` (which the
official client reads first) and ``message``; the exact live wording is not documented.
``enable_sync_mode: true`` (on models whose schema offers it) holds the submission until
the prediction is done and answers it finished, outputs included.
Fault ops: ``models``, ``schema``, ``submit``, ``poll``, ``upload``, ``account``, ``files``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelforge.emulators.atlas.models import EmuModel, by_id, listing, openapi_document
from reelforge.emulators.atlas.schemas import input_schema
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
from reelforge.emulators.base.render import render_audio, render_image, render_video

SANDBOX_KEY = "atlas-sandbox-key"
SANDBOX_CREDENTIAL = {"api_key": SANDBOX_KEY}
SYNC_WAIT_SECONDS = 60.0  # the longest a sync-mode submission is held

_ENDPOINT_TYPES = {"generateImage": "Image", "generateVideo": "Video", "generateAudio": "Audio"}
_STATUS = {
    "queued": "starting",
    "running": "processing",
    "succeeded": "completed",
    "failed": "failed",
    "canceled": "failed",
}
_ERRORS: dict[str, tuple[int, str]] = {
    "auth": (401, "Unauthorized: invalid API key"),
    "rate_limit": (429, "Too many requests, please slow down"),
    "server_error": (503, "Service temporarily unavailable"),
    "insufficient_credit": (402, "Insufficient balance, please top up your account"),
    "moderation": (400, "The content was flagged as sensitive by the safety checker"),
    "not_found": (404, "Not found"),
    "validation": (400, "Invalid request"),
}
_UPLOAD_TYPES = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/mpeg": "mp3",
}


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "malformed":
        return malformed_response()
    status, text = _ERRORS.get(kind, (500, "Internal server error"))
    if kind == "server_error" and fault is not None:
        status = fault.status
    headers = retry_after_headers(fault) if kind == "rate_limit" else {}
    text = message or text
    body = {"code": status, "msg": text, "message": text, "data": None}
    return JSONResponse(body, status_code=status, headers=headers)


def ok(data: Any, code: Any = 200) -> JSONResponse:
    return JSONResponse({"code": code, "message": "success", "data": data})


def _check_value(name: str, spec: dict[str, Any], value: Any) -> str | None:
    kind = spec.get("type")
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"{name} must be an integer"
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"{name} must be a number"
    if kind == "string" and not isinstance(value, str):
        return f"{name} must be a string"
    if kind == "array" and not isinstance(value, list):
        return f"{name} must be an array"
    if kind == "boolean" and not isinstance(value, bool):
        return f"{name} must be a boolean"
    if "enum" in spec and value not in spec["enum"]:
        return f"{name} must be one of {spec['enum']}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in spec and value < spec["minimum"]:
            return f"{name} must be >= {spec['minimum']}"
        if "maximum" in spec and value > spec["maximum"]:
            return f"{name} must be <= {spec['maximum']}"
    return None


def validate_body(entry: EmuModel, body: dict[str, Any]) -> None:
    """As the server does: required fields (defaults filled in), types, enums, ranges."""
    schema = input_schema(entry.model, entry.kind, entry.media)
    props = schema["properties"]
    for name in schema["required"]:
        if name == "model":
            continue
        if body.get(name) in (None, "", []) and "default" not in props[name]:
            raise FaultRaised("validation", message=f"missing required parameter: {name}")
    for name, value in body.items():
        if name in props and value is not None:
            problem = _check_value(name, props[name], value)
            if problem:
                raise FaultRaised("validation", message=problem)


def _media_inputs(entry: EmuModel, body: dict[str, Any]) -> dict[str, Any]:
    schema = input_schema(entry.model, entry.kind, entry.media)
    out: dict[str, Any] = {}
    for name, spec in schema["properties"].items():
        is_media = spec.get("format") == "uri" or (
            spec.get("type") == "array" and name in ("images", "image_urls")
        )
        if is_media and body.get(name):
            out[name] = body[name]
    return out


def _offers_sync(entry: EmuModel) -> bool:
    return "enable_sync_mode" in input_schema(entry.model, entry.kind, entry.media)["properties"]


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    config = config or EmulatorConfig()
    state = EmulatorState("atlas", config, render_error)
    keys = set(config.keys) | {SANDBOX_KEY}

    def auth(request: Request) -> str:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or key.strip() not in keys:
            raise FaultRaised("auth")
        return key.strip()

    async def models(request: Request) -> Response:
        await state.gate("models")
        return ok(listing(state.base_url(request)), code="200")

    async def schema(request: Request) -> Response:
        await state.gate("schema")
        model = request.path_params["model"].removesuffix(".json")
        entry = by_id().get(model)
        if entry is None or not entry.has_schema:
            raise FaultRaised("not_found", message=f"no schema for {model}")
        return JSONResponse(openapi_document(entry))

    async def generate(request: Request) -> Response:
        key = auth(request)
        fault = await state.gate("submit")
        body = await read_json(request)
        endpoint = route_path(request).rsplit("/", 1)[-1]
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise FaultRaised("validation", message="model is required")
        entry = by_id().get(model)
        if entry is None:
            raise FaultRaised("not_found", message=f"model not found: {model}")
        if not entry.visible:
            raise FaultRaised("validation", message=f"model {model} is not available")
        if _ENDPOINT_TYPES[endpoint] != entry.type:
            raise FaultRaised("validation", message=f"{model} is not served by {endpoint}")
        validate_body(entry, body)
        seed = body.get("seed")
        run = config.image_run_seconds if entry.type == "Image" else None
        task, _ = state.tasks.create(
            endpoint,
            model=model,
            prompt=str(body.get("prompt") or body.get("text") or ""),
            seed=seed if isinstance(seed, int) and seed >= 0 else None,
            params=body,
            inputs=_media_inputs(entry, body),
            owner=key,
            run_seconds=run,
        )
        state.apply_task_fault(task, fault)
        task.extra["created_at"] = state.created_utc(task).isoformat()
        if body.get("enable_sync_mode") is True and _offers_sync(entry):
            # "Waits for the result to be generated and uploaded before returning the
            # response" (the models' docs); a model without the switch ignores it.
            until = time.monotonic() + state.config.hold(SYNC_WAIT_SECONDS)
            if not task.stuck:
                until = min(until, task.finishes_at + 0.01)
            await asyncio.sleep(max(0.0, until - time.monotonic()))
            if task.state()[0] == "succeeded":
                await _finish(request, task)
        return ok(_prediction(request, task))

    def _prediction(request: Request, task: EmuTask) -> dict[str, Any]:
        status, _progress = task.state()
        data: dict[str, Any] = {
            "id": task.id,
            "model": task.model,
            "status": _STATUS[status],
            "outputs": list(task.extra.get("outputs", [])),
            "urls": {"get": f"{state.base_url(request)}/api/v1/model/prediction/{task.id}"},
            "has_nsfw_contents": [False] * len(task.extra.get("outputs", [])),
            "created_at": task.extra.get("created_at"),
            "error": "",
        }
        if status == "failed":
            data["error"] = task.failure[1] if task.failure else "generation failed"
        if status == "succeeded":
            data["executionTime"] = int((task.queue_seconds + task.run_seconds) * 1000)
            data["timings"] = {"inference": int(task.run_seconds * 1000)}
        return data

    async def _load(ref: Any) -> bytes | None:
        if isinstance(ref, list):
            ref = ref[0] if ref else None
        if not isinstance(ref, str):
            return None
        try:
            return await state.load_media(ref)
        except Exception:  # an unreachable input still yields a (plain) result
            return None

    async def _finish(request: Request, task: EmuTask) -> None:
        if "outputs" in task.extra:
            return
        params = task.params
        aspect = params.get("aspect_ratio")
        if task.op == "generateImage":
            fmt = "png" if params.get("output_format") == "png" else "jpg"
            source = await _load(next(iter(task.inputs.values()), None))
            wanted = params.get("num_images")
            count = wanted if isinstance(wanted, int) else 1
            urls = []
            for index in range(max(1, count)):
                seed = (task.seed or 0) + index

                def render(seed: int = seed) -> bytes:
                    return render_image(
                        task.prompt,
                        seed,
                        aspect_ratio=aspect,
                        fmt="PNG" if fmt == "png" else "JPEG",
                        source=source,
                    )

                urls.append(state.file_url(request, fmt, render))
            task.extra["outputs"] = urls
        elif task.op == "generateVideo":
            inputs = {k: await _load(v) for k, v in task.inputs.items()}
            image = next((v for k, v in inputs.items() if "video" not in k and k != "audio"), None)
            video = next((v for k, v in inputs.items() if "video" in k), None)
            audio = inputs.get("audio")
            duration = float(params.get("duration") or 5)
            task.extra["outputs"] = [
                state.file_url(
                    request,
                    "mp4",
                    lambda: render_video(
                        task.prompt,
                        task.seed,
                        duration=duration,
                        aspect_ratio=aspect,
                        source_image=image,
                        source_video=video,
                        audio=audio,
                        with_audio=bool(params.get("generate_audio")),
                    ),
                )
            ]
        else:
            task.extra["outputs"] = [
                state.file_url(request, "wav", lambda: render_audio(task.prompt or "speech"))
            ]

    async def prediction(request: Request) -> Response:
        key = auth(request)
        await state.gate("poll")
        task = state.tasks.get(request.path_params["task_id"], owner=key)
        if task is None:
            raise FaultRaised("not_found", message="prediction not found")
        if task.state()[0] == "succeeded":
            await _finish(request, task)
        return ok(_prediction(request, task))

    async def upload(request: Request) -> Response:
        auth(request)
        await state.gate("upload")
        form = await request.form()
        item = form.get("file")
        if not isinstance(item, UploadFile):
            raise FaultRaised("validation", message="file is required")
        content = await item.read()
        ext = _UPLOAD_TYPES.get((item.content_type or "").split(";")[0].strip())
        if ext is None:
            raise FaultRaised("validation", message=f"unsupported file type {item.content_type}")
        name = state.files.add(ext, lambda: content)
        url = f"{state.base_url(request)}/files/{name}"
        kind = (item.content_type or "").split("/")[0]
        return ok(
            {"type": kind, "download_url": url, "filename": item.filename, "size": len(content)}
        )

    async def balance(request: Request) -> Response:
        auth(request)
        await state.gate("account")
        return ok({"balance": "25.00", "currency": "USD", "updated_at": int(time.time())})

    app = create_emulator_app(
        state,
        [
            Route("/api/v1/models", models, methods=["GET"]),
            Route("/api/v1/schema/{model:path}", schema, methods=["GET"]),
            Route("/api/v1/model/uploadMedia", upload, methods=["POST"]),
            *[
                Route(f"/api/v1/model/{endpoint}", generate, methods=["POST"])
                for endpoint in _ENDPOINT_TYPES
            ],
            Route("/api/v1/model/prediction/{task_id}", prediction, methods=["GET"]),
            Route("/api/v1/model/result/{task_id}", prediction, methods=["GET"]),
            Route("/public/v1/balance", balance, methods=["GET"]),
        ],
    )
    return app
