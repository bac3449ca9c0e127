"""Luma Dream Machine API emulator: generations (video, keyframes, extend, modify, image),
polling with Luma's states (``queued`` → ``dreaming`` → ``completed`` | ``failed``),
credits in USD cents, ping and the concepts list.

Routes answer both at the root and under ``/dream-machine/v1`` (the real base path), so a
client can use either the emulator's root or the real-looking base URL (the lumaai SDK).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from reelforge.emulators.base import (
    EmulatorConfig,
    EmulatorState,
    EmuTask,
    Fault,
    FaultRaised,
    create_emulator_app,
    read_json,
)
from reelforge.emulators.base.render import (
    decode_video_frames,
    encode_image,
    render_image,
    render_video,
)
from reelforge.emulators.luma.errors import render_error, schema_error
from reelforge.emulators.own_files import load_input

SANDBOX_KEY = "luma-sandbox-key"
SANDBOX_CREDENTIAL = {"api_key": SANDBOX_KEY}
VIDEO_MODELS = ("ray-2", "ray-flash-2")
IMAGE_MODELS = ("photon-1", "photon-flash-1")
ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
# "5s"/"9s" are documented; "10s" is sent by some clients and the SDK types allow any
# string, so the emulator accepts it too (uncertain in the real API).
DURATIONS = {"5s": 5.0, "9s": 9.0, "10s": 10.0}
MODIFY_MODES = tuple(f"{k}_{i}" for k in ("adhere", "flex", "reimagine") for i in (1, 2, 3))
CONCEPTS = ["dolly_zoom", "orbit_left", "orbit_right", "pan_left", "pan_right", "crane_up"]
STATE_NAMES = {
    "queued": "queued",
    "running": "dreaming",
    "succeeded": "completed",
    "failed": "failed",
    "canceled": "failed",
}
FAILURES = {
    "moderation": "Advanced prompt moderation failed",
    "fail": "Job failed",
    "input": "Failed to read user input frames",
}
START_CREDITS_CENTS = 50_000.0  # $500 of emulated balance
# Emulated charge in cents (reference §4 prices: ray-2 720p 5 s $0.71, 9 s $1.27).
VIDEO_CENTS = {"ray-2": 71.0, "ray-flash-2": 24.0}
IMAGE_CENTS = {"photon-1": 1.6, "photon-flash-1": 0.2}


class LumaEmulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.state = EmulatorState("luma", config, render_error)
        self.keys = set(config.keys) | {SANDBOX_KEY}
        self.balance_cents = START_CREDITS_CENTS

    # -- helpers ----------------------------------------------------------------------
    def owner(self, request: Request) -> str:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or key.strip() not in self.keys:
            raise FaultRaised("auth")
        return key.strip()

    def apply(self, task: EmuTask, fault: Fault | None) -> None:
        """Task faults, with Luma's own failure_reason texts."""
        self.state.apply_task_fault(task, fault)
        if fault is not None and task.failure is not None and not fault.message:
            task.failure = (task.failure[0], FAILURES[task.failure[0]])

    def charge(self, cents: float) -> None:
        if self.balance_cents < cents:
            raise FaultRaised("insufficient_credit")
        self.balance_cents -= cents

    async def load(self, task: EmuTask, url: str) -> bytes | None:
        """Input media, or None with the task failed the way Luma fails unreadable frames."""
        try:
            return await load_input(self.state, url)
        except Exception:  # any unreadable input fails the generation, as Luma does
            task.failure = ("fail", FAILURES["input"])
            return None

    def generation(self, request: Request, task: EmuTask) -> dict[str, Any]:
        state, _ = task.state()
        failure = None
        if state == "failed" and task.failure is not None:
            failure = task.failure[1]
        return {
            "id": task.id,
            "generation_type": task.extra["kind"],
            "state": STATE_NAMES[state],
            "failure_reason": failure,
            "created_at": task.extra["created_at"],
            "model": task.model,
            "assets": self.assets(request, task) if state == "succeeded" else None,
            "request": task.extra["body"],
        }

    def assets(self, request: Request, task: EmuTask) -> dict[str, Any]:
        if not task.outputs:
            render: Callable[[], bytes] = task.extra["render"]
            if task.extra["kind"] == "image":
                fmt = task.extra.get("format", "jpg")
                task.outputs.append({"image": self.state.file_url(request, fmt, render)})
            else:
                video_url = self.state.file_url(request, "mp4", render)
                task.extra["video_file"] = video_url.rsplit("/", 1)[-1]
                thumb = self.state.file_url(request, "jpg", lambda: _first_frame(self.video(task)))
                task.outputs.append({"video": video_url, "image": thumb, "progress_video": None})
        return dict(task.outputs[0])

    def video(self, task: EmuTask) -> bytes:
        """A finished video generation's bytes (the served file when there is one)."""
        stored = self.state.files.lookup(task.extra.get("video_file", ""))
        return self.state.files.content(stored) if stored else task.extra["render"]()

    def new_task(
        self, request: Request, owner: str, kind: str, model: str, body: dict[str, Any]
    ) -> EmuTask:
        run = self.state.config.image_run_seconds if kind == "image" else None
        task, _ = self.state.tasks.create(
            kind,
            model=model,
            prompt=str(body.get("prompt") or ""),
            params=body,
            owner=owner,
            run_seconds=run,
            callback_url=body.get("callback_url"),
        )
        task.extra.update(
            kind=kind,
            body=body,
            created_at=self.state.created_utc(task).isoformat().replace("+00:00", "Z"),
        )
        return task

    def created(self, request: Request, task: EmuTask) -> Response:
        if task.callback_url:
            self.state.schedule_callback(task, lambda t: self.generation(request, t))
        return JSONResponse(self.generation(request, task), status_code=201)

    # -- handlers ---------------------------------------------------------------------
    async def create_video(self, request: Request) -> Response:
        fault = await self.state.gate("submit")
        owner = self.owner(request)
        body = await read_json(request)
        model = _choice(body, "model", VIDEO_MODELS, required=True)
        _choice(body, "generation_type", ("video",))  # the SDK's Literal["video"]
        _boolean(body, "loop")
        aspect = _choice(body, "aspect_ratio", ASPECT_RATIOS)
        _choice(body, "resolution", RESOLUTIONS)
        duration_text = body.get("duration") or "5s"
        if duration_text not in DURATIONS:
            raise FaultRaised("validation", message=f"Invalid duration: {duration_text}")
        keyframes = body.get("keyframes") or None
        prompt = body.get("prompt")
        if keyframes is None:
            _check_prompt(prompt)
        elif prompt:
            _check_prompt(prompt)
        if keyframes is not None:
            if not isinstance(keyframes, dict) or not (
                keyframes.get("frame0") or keyframes.get("frame1")
            ):
                raise FaultRaised("validation", message="No keyframes provided")
            if body.get("loop"):
                raise FaultRaised("validation", message="Loop is not supported for keyframes")
        frames = {k: self.frame_ref(owner, k, v) for k, v in (keyframes or {}).items() if v}
        seconds = DURATIONS[duration_text]
        self.charge(VIDEO_CENTS[model] * seconds / 5.0)
        task = self.new_task(request, owner, "video", model, body)
        self.apply(task, fault)
        sources: dict[str, Any] = {}
        for name, (kind, ref) in frames.items():
            sources[name] = await self.load(task, ref) if kind == "image" else ref
        task.extra["render"] = self.video_renderer(task, sources, seconds, aspect)
        return self.created(request, task)

    def frame_ref(self, owner: str, name: str, frame: Any) -> tuple[str, Any]:
        if not isinstance(frame, dict) or frame.get("type") not in ("image", "generation"):
            raise FaultRaised(
                "schema", message=schema_error(f"keyframes.{name}.type", "Input tag not found")
            )
        if frame["type"] == "image":
            if not frame.get("url"):
                raise FaultRaised(
                    "schema", message=schema_error(f"keyframes.{name}.url", "Field required")
                )
            return "image", _public_url(frame["url"], f"keyframes.{name}.url")
        source = self.state.tasks.get(str(frame.get("id") or ""), owner)
        if source is None or source.extra.get("kind") != "video":
            raise FaultRaised("validation", message=f"Generation {frame.get('id')} not found")
        if source.state()[0] != "succeeded":
            raise FaultRaised("validation", message="Generation to extend is not completed")
        return "generation", source

    def video_renderer(
        self, task: EmuTask, sources: dict[str, Any], seconds: float, aspect: str | None
    ) -> Callable[[], bytes]:
        def render() -> bytes:
            still: bytes | None = None
            for name in ("frame0", "frame1"):
                src = sources.get(name)
                if isinstance(src, EmuTask):  # extend: continue from the source's last frame
                    frames, _ = decode_video_frames(self.video(src), max_frames=10_000)
                    still = encode_image(frames[-1 if name == "frame0" else 0])
                elif isinstance(src, bytes):
                    still = src
                if still is not None:
                    break
            # Luma's output has the requested aspect ratio (default 16:9), keyframes or not.
            return render_video(
                task.prompt,
                None,
                duration=seconds,
                aspect_ratio=aspect or "16:9",
                source_image=still,
            )

        return render

    async def modify(self, request: Request) -> Response:
        fault = await self.state.gate("submit")
        owner = self.owner(request)
        body = await read_json(request)
        if body.get("generation_type") != "modify_video":
            raise FaultRaised(
                "schema", message=schema_error("generation_type", "Input should be 'modify_video'")
            )
        model = _choice(body, "model", VIDEO_MODELS, required=True)
        _choice(body, "mode", MODIFY_MODES, required=True)
        media = body.get("media")
        if not isinstance(media, dict) or not media.get("url"):
            raise FaultRaised("schema", message=schema_error("media.url", "Field required"))
        _public_url(media["url"], "media.url")
        if body.get("prompt"):
            _check_prompt(body["prompt"])
        self.charge(VIDEO_CENTS[model])
        task = self.new_task(request, owner, "video", model, body)
        self.apply(task, fault)
        source = await self.load(task, media["url"])

        def render() -> bytes:
            if source is None:
                return b""
            frames, fps = decode_video_frames(source, max_frames=10_000)
            seconds = max(0.5, len(frames) / (fps or 12.0))
            return render_video(task.prompt, None, duration=seconds, source_video=source)

        task.extra["render"] = render
        return self.created(request, task)

    async def create_image(self, request: Request) -> Response:
        fault = await self.state.gate("submit")
        owner = self.owner(request)
        body = await read_json(request)
        model = _choice(body, "model", IMAGE_MODELS, required=True)
        _choice(body, "generation_type", ("image",))  # the SDK's Literal["image"]
        aspect = _choice(body, "aspect_ratio", ASPECT_RATIOS) or "16:9"
        fmt = _choice(body, "format", ("jpg", "png")) or "jpg"
        refs = [body.get("modify_image_ref") or {}, *(body.get("image_ref") or [])]
        refs += list(body.get("style_ref") or [])
        identity = ((body.get("character_ref") or {}).get("identity0") or {}).get("images") or []
        urls = [str(r["url"]) for r in refs if isinstance(r, dict) and r.get("url")]
        urls += [str(u) for u in identity]
        if not urls or body.get("prompt"):
            _check_prompt(body.get("prompt"))
        self.charge(IMAGE_CENTS[model])
        task = self.new_task(request, owner, "image", model, body)
        task.extra["format"] = fmt
        self.apply(task, fault)
        source = await self.load(task, urls[0]) if urls else None
        task.extra["render"] = lambda: render_image(
            task.prompt, None, aspect_ratio=aspect, fmt=fmt, source=source
        )
        if body.get("sync"):
            wait = min(float(body.get("sync_timeout") or 60.0), 120.0)
            loop = asyncio.get_running_loop()
            # A hair past the end: a wake-up exactly at it can still read as running.
            await asyncio.sleep(max(0.0, min(wait, task.finishes_at - loop.time() + 0.02)))
        return self.created(request, task)

    async def get(self, request: Request) -> Response:
        fault = await self.state.gate("poll")
        owner = self.owner(request)
        task = self.state.tasks.get(request.path_params["id"], owner)
        if task is None:
            raise FaultRaised("not_found")
        self.apply(task, fault)
        return JSONResponse(self.generation(request, task))

    async def delete(self, request: Request) -> Response:
        await self.state.gate("cancel")
        owner = self.owner(request)
        task = self.state.tasks.get(request.path_params["id"], owner)
        if task is None:
            raise FaultRaised("not_found")
        self.state.tasks.delete(task)
        return Response(status_code=204)

    async def list_generations(self, request: Request) -> Response:
        await self.state.gate("poll")
        owner = self.owner(request)
        limit = int(request.query_params.get("limit", "100"))
        offset = int(request.query_params.get("offset", "0"))
        mine = [t for t in self.state.tasks.tasks.values() if t.owner == owner]
        mine.sort(key=lambda t: t.created, reverse=True)
        page = mine[offset : offset + limit]
        return JSONResponse(
            {
                "generations": [self.generation(request, t) for t in page],
                "count": len(page),
                "has_more": offset + limit < len(mine),
                "limit": limit,
                "offset": offset,
            }
        )

    async def credits(self, request: Request) -> Response:
        await self.state.gate("account")
        self.owner(request)
        return JSONResponse({"credit_balance": round(self.balance_cents, 2)})

    async def ping(self, _request: Request) -> Response:
        # Whether /ping needs a key is not documented; the emulator answers without one.
        await self.state.gate("account")
        return JSONResponse({"message": "pong"})

    async def concepts(self, request: Request) -> Response:
        await self.state.gate("account")
        self.owner(request)
        return JSONResponse(CONCEPTS)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/generations", self.create_video, methods=["POST"]),
            Route("/generations", self.list_generations, methods=["GET"]),
            Route("/generations/video", self.create_video, methods=["POST"]),
            Route("/generations/video/modify", self.modify, methods=["POST"]),
            Route("/generations/image", self.create_image, methods=["POST"]),
            Route("/generations/concepts/list", self.concepts, methods=["GET"]),
            Route("/generations/{id}", self.get, methods=["GET"]),
            Route("/generations/{id}", self.delete, methods=["DELETE"]),
            Route("/credits", self.credits, methods=["GET"]),
            Route("/ping", self.ping, methods=["GET"]),
        ]


def _boolean(body: dict[str, Any], field: str) -> None:
    # Luma's API is pydantic (its 422s are pydantic's): "true" would be coerced, but
    # "yes" or 5 are refused. The lumaai SDK types the field bool.
    value = body.get(field)
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return
    raise FaultRaised("schema", message=schema_error(field, "Input should be a valid boolean"))


def _choice(
    body: dict[str, Any], field: str, allowed: tuple[str, ...], *, required: bool = False
) -> Any:
    value = body.get(field)
    if value is None:
        if required:
            raise FaultRaised("schema", message=schema_error(field, "Field required"))
        return None
    if value not in allowed:
        options = ", ".join(f"'{a}'" for a in allowed)
        raise FaultRaised("schema", message=schema_error(field, f"Input should be {options}"))
    return value


def _check_prompt(prompt: Any) -> None:
    if not prompt:
        raise FaultRaised("validation", message="Prompt is required")
    if not isinstance(prompt, str):
        raise FaultRaised(
            "schema", message=schema_error("prompt", "Input should be a valid string")
        )
    if len(prompt.strip()) < 3:
        raise FaultRaised(
            "validation", message="Prompt is too short, minimum length is 3 characters"
        )
    if len(prompt) > 5000:
        raise FaultRaised(
            "validation", message="Prompt is too long, maximum length is 5000 characters"
        )


def _public_url(value: Any, field: str) -> str:
    """Luma fetches every input itself: a URL, never inline data (it has no upload API)."""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise FaultRaised("validation", message=f"{field} must be a publicly accessible URL")
    return value


def _first_frame(video: bytes) -> bytes:
    frames, _ = decode_video_frames(video, max_frames=1)
    return encode_image(frames[0], "JPEG")


def create_app(config: EmulatorConfig) -> Starlette:
    emulator = LumaEmulator(config)
    routes = emulator.routes()
    app = create_emulator_app(
        emulator.state, [*routes, Mount("/dream-machine/v1", routes=emulator.routes())]
    )
    app.state.luma = emulator
    return app
