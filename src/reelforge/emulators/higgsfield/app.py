"""Higgsfield platform API emulator: DoP image-to-video, Speak talking avatars, Soul images,
request status / cancel, the upload flow, ``Key id:secret`` auth and Idempotency-Key.

Statuses are the SDK's spelling (``queued``, ``in_progress``, ``completed``, ``failed``,
``nsfw``, ``canceled``). Submit answers 200 (the reference assumes 200; the SDK accepts
any 2xx). A repeated submit without a key makes a new request, as the SDK's own retries on
408/429/5xx would; with the same ``Idempotency-Key`` it returns the original request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reelforge.emulators.base import (
    EmulatorConfig,
    EmulatorState,
    EmuTask,
    FaultRaised,
    create_emulator_app,
    read_json,
    route_path,
)
from reelforge.emulators.base.render import decode_image, render_image, render_video
from reelforge.emulators.higgsfield.errors import render_error, schema_error
from reelforge.emulators.own_files import load_input

SANDBOX_CREDENTIAL = {"key_id": "hf-sandbox-id", "key_secret": "hf-sandbox-secret"}
SANDBOX_KEY = f"{SANDBOX_CREDENTIAL['key_id']}:{SANDBOX_CREDENTIAL['key_secret']}"
DOP_MODELS = ("dop-lite", "dop-turbo", "dop-standard")
DOP_SECONDS = 5.0  # the API has no duration field; the real clip length is not documented
SOUL_SIZES = (
    "2048x1152", "2048x1536", "2016x1344", "1696x960", "1632x1088", "1152x2048", "1536x2048",
    "1344x2016", "960x1696", "1088x1632", "1536x1536", "1536x1152", "1152x1536",
)  # fmt: skip
UPLOAD_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "audio/wav": "wav"}
UPLOAD_TYPES |= {"audio/x-wav": "wav", "audio/wave": "wav", "audio/mpeg": "mp3", "video/mp4": "mp4"}
FAILED_TEXT = "Generation failed"


class HiggsfieldEmulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.state = EmulatorState("higgsfield", config, render_error)
        self.keys = set(config.keys) | {SANDBOX_KEY}
        self.uploads: dict[str, bytes] = {}

    def owner(self, request: Request) -> str:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "Key" or key.strip() not in self.keys:
            raise FaultRaised("auth")
        return key.strip()

    def urls(self, request: Request, request_id: str) -> dict[str, str]:
        base = f"{self.state.base_url(request)}/requests/{request_id}"
        return {"status_url": f"{base}/status", "cancel_url": f"{base}/cancel"}

    def body_of(self, request: Request, task: EmuTask) -> dict[str, Any]:
        state, _ = task.state()
        status = {
            "queued": "queued",
            "running": "in_progress",
            "succeeded": "completed",
            "failed": "failed",
            "canceled": "canceled",
        }[state]
        body: dict[str, Any] = {"status": status, "request_id": task.id}
        body |= self.urls(request, task.id)
        if state == "failed" and task.failure is not None:
            if task.failure[0] == "moderation":
                body["status"] = "nsfw"  # no media, no error text: refunded
            else:
                body["error"] = task.failure[1]
        elif state == "succeeded":
            if not task.outputs:
                for ext, render in task.extra["renders"]:
                    task.outputs.append({"url": self.state.file_url(request, ext, render)})
            if task.extra["kind"] == "video":
                body["video"] = dict(task.outputs[0])
            else:
                body["images"] = [dict(o) for o in task.outputs]
        return body

    async def fetch(self, url: Any, field: str) -> bytes:
        if not isinstance(url, str) or not url:
            raise FaultRaised("schema", message=schema_error(field, "Field required"))
        try:
            return await load_input(self.state, url)
        except Exception as exc:  # any unreadable input is the client's error here
            raise FaultRaised("validation", message=f"Unable to fetch {field}") from exc

    async def submit(
        self,
        request: Request,
        kind: str,
        prepare: Callable[[dict[str, Any]], Any],
    ) -> Response:
        fault = await self.state.gate("submit")
        owner = self.owner(request)
        key = request.headers.get("idempotency-key")
        scoped = f"{owner}:{key}" if key else None
        if scoped and scoped in self.state.tasks.by_idempotency:
            task = self.state.tasks.tasks[self.state.tasks.by_idempotency[scoped]]
            return JSONResponse(self.body_of(request, task))
        body = await read_json(request)
        model, seed, renders = await prepare(body)
        task, _ = self.state.tasks.create(
            route_path(request),
            model=model,
            prompt=str(body.get("prompt") or ""),
            seed=seed,
            params=body,
            owner=owner,
            idempotency_key=scoped,
            run_seconds=self.state.config.image_run_seconds if kind == "image" else None,
            callback_url=request.query_params.get("hf_webhook"),
        )
        task.extra.update(kind=kind, renders=renders)
        self.state.apply_task_fault(task, fault)
        if task.failure is not None and task.failure[0] == "fail" and not (fault and fault.message):
            task.failure = ("fail", FAILED_TEXT)
        if task.callback_url:
            self.state.schedule_callback(task, lambda t: self.body_of(request, t))
        return JSONResponse(self.body_of(request, task))

    # -- applications -----------------------------------------------------------------
    async def dop(self, request: Request) -> Response:
        async def prepare(body: dict[str, Any]) -> Any:
            model = body.get("model")
            if model not in DOP_MODELS:
                options = ", ".join(f"'{m}'" for m in DOP_MODELS)
                raise FaultRaised(
                    "schema", message=schema_error("model", f"Input should be {options}")
                )
            prompt = _prompt(body)
            seed = _seed(body)
            images = body.get("input_images")
            if not isinstance(images, list) or not images or not isinstance(images[0], dict):
                raise FaultRaised("schema", message=schema_error("input_images", "Field required"))
            if images[0].get("type") != "image_url":
                raise FaultRaised(
                    "schema",
                    message=schema_error("input_images.0.type", "Input should be 'image_url'"),
                )
            for i, motion in enumerate(body.get("motions") or []):
                strength = motion.get("strength", 1.0) if isinstance(motion, dict) else None
                if not isinstance(strength, int | float) or not 0 <= strength <= 1:
                    raise FaultRaised(
                        "schema",
                        message=schema_error(
                            f"motions.{i}.strength", "Input should be between 0 and 1"
                        ),
                    )
            source = await self.fetch(images[0].get("image_url"), "input_images.0.image_url")
            w, h = _video_size(source)
            render = lambda: render_video(  # noqa: E731
                prompt, seed, duration=DOP_SECONDS, width=w, height=h, source_image=source
            )
            return model, seed, [("mp4", render)]

        return await self.submit(request, "video", prepare)

    async def speak(self, request: Request) -> Response:
        async def prepare(body: dict[str, Any]) -> Any:
            prompt = str(body.get("prompt") or "")
            seed = _seed(body)
            if body.get("quality", "mid") not in ("mid", "high"):
                raise FaultRaised(
                    "schema", message=schema_error("quality", "Input should be 'mid' or 'high'")
                )
            if body.get("duration", 5) not in (5, 10, 15):
                raise FaultRaised(
                    "schema", message=schema_error("duration", "Input should be 5, 10 or 15")
                )
            image_ref = body.get("input_image") or {}
            audio_ref = body.get("input_audio") or {}
            image = await self.fetch(image_ref.get("image_url"), "input_image.image_url")
            audio = await self.fetch(audio_ref.get("audio_url"), "input_audio.audio_url")
            if not (audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"):
                # The SDK README: Speak takes WAV audio only.
                raise FaultRaised("validation", message="input_audio must be a WAV file")
            w, h = _video_size(image)
            # The clip lasts as long as the speech (the avatar speaks the given audio).
            render = lambda: render_video(  # noqa: E731
                prompt, seed, width=w, height=h, source_image=image, audio=audio
            )
            return "speak-v2", seed, [("mp4", render)]

        return await self.submit(request, "video", prepare)

    async def soul(self, request: Request) -> Response:
        async def prepare(body: dict[str, Any]) -> Any:
            prompt = _prompt(body)
            seed = _seed(body)
            size = body.get("width_and_height", "1536x1536")
            if size not in SOUL_SIZES:
                raise FaultRaised(
                    "schema",
                    message=schema_error(
                        "width_and_height", "Input should be one of the listed sizes"
                    ),
                )
            if body.get("quality", "1080p") not in ("720p", "1080p"):
                raise FaultRaised(
                    "schema", message=schema_error("quality", "Input should be '720p' or '1080p'")
                )
            batch = body.get("batch_size", 1)
            if batch not in (1, 4):
                raise FaultRaised(
                    "schema", message=schema_error("batch_size", "Input should be 1 or 4")
                )
            ref = body.get("image_reference")
            source = (
                await self.fetch(ref.get("image_url"), "image_reference.image_url")
                if isinstance(ref, dict)
                else None
            )
            w, h = (int(x) for x in size.split("x"))
            renders = [
                ("png", _image_renderer(prompt, (seed or 0) + i, w, h, source))
                for i in range(batch)
            ]
            return "soul", seed, renders

        return await self.submit(request, "image", prepare)

    # -- requests ---------------------------------------------------------------------
    async def status(self, request: Request) -> Response:
        fault = await self.state.gate("poll")
        owner = self.owner(request)
        task = self.state.tasks.get(request.path_params["id"], owner)
        if task is None:
            raise FaultRaised("not_found", message="Request not found")
        self.state.apply_task_fault(task, fault)
        return JSONResponse(self.body_of(request, task))

    async def cancel(self, request: Request) -> Response:
        await self.state.gate("cancel")
        owner = self.owner(request)
        task = self.state.tasks.get(request.path_params["id"], owner)
        if task is None:
            raise FaultRaised("not_found", message="Request not found")
        if task.state()[0] != "queued" or not self.state.tasks.cancel(task):
            raise FaultRaised(
                "validation", message="Request cannot be canceled once it has started"
            )
        return JSONResponse(self.body_of(request, task), status_code=202)

    async def upload_slot(self, request: Request) -> Response:
        await self.state.gate("files")
        self.owner(request)
        body = await read_json(request)
        content_type = str(body.get("content_type") or "")
        ext = UPLOAD_TYPES.get(content_type)
        if ext is None:
            raise FaultRaised("validation", message=f"Unsupported content_type: {content_type}")
        name = self.state.files.add(ext, lambda: self.uploads.get(name, b""))
        base = self.state.base_url(request)
        return JSONResponse(
            {"upload_url": f"{base}/uploads/{name}", "public_url": f"{base}/files/{name}"}
        )

    async def upload(self, request: Request) -> Response:
        # The presigned upload target: no Authorization, the URL is the permission.
        await self.state.gate("files")
        name = request.path_params["name"]
        if self.state.files.lookup(name) is None:
            return Response(status_code=403)
        self.uploads[name] = await request.body()
        return Response(status_code=200)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/image2video/dop", self.dop, methods=["POST"]),
            Route("/v1/speak/higgsfield", self.speak, methods=["POST"]),
            Route("/v1/text2image/soul", self.soul, methods=["POST"]),
            Route("/requests/{id}/status", self.status, methods=["GET"]),
            Route("/requests/{id}/cancel", self.cancel, methods=["POST"]),
            Route("/files/generate-upload-url", self.upload_slot, methods=["POST"]),
            Route("/uploads/{name}", self.upload, methods=["PUT"]),
        ]


def _prompt(body: dict[str, Any]) -> str:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise FaultRaised("schema", message=schema_error("prompt", "Field required"))
    return prompt


def _seed(body: dict[str, Any]) -> int | None:
    seed = body.get("seed")
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 1_000_000:
        raise FaultRaised(
            "schema", message=schema_error("seed", "Input should be between 0 and 1000000")
        )
    return seed


def _video_size(image: bytes) -> tuple[int, int]:
    """The output follows the input's aspect ratio, longest side 320 (small and fast)."""
    try:
        img = decode_image(image)
    except Exception as exc:  # not an image at all
        raise FaultRaised("validation", message="Input image could not be decoded") from exc
    scale = 320 / max(img.width, img.height)
    return max(2, round(img.width * scale)), max(2, round(img.height * scale))


def _image_renderer(
    prompt: str, seed: int, w: int, h: int, source: bytes | None
) -> Callable[[], bytes]:
    return lambda: render_image(prompt, seed, width=w, height=h, fmt="PNG", source=source)


def create_app(config: EmulatorConfig) -> Starlette:
    emulator = HiggsfieldEmulator(config)
    app = create_emulator_app(emulator.state, emulator.routes())
    app.state.higgsfield = emulator
    return app
