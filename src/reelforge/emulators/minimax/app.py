"""MiniMax video generation emulator: ``POST /v1/video_generation``, ``GET
/v1/query/video_generation`` and ``GET /v1/files/retrieve``, with MiniMax's capitalised
statuses (Preparing, Queueing, Processing, Success, Fail) and business errors inside
HTTP 200 answers. A wrong key gets 2049, a missing one 1004 (both HTTP 200).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reelforge.emulators.base import (
    EmulatorConfig,
    EmulatorState,
    EmuTask,
    Fault,
    FaultRaised,
    create_emulator_app,
    read_json,
)
from reelforge.emulators.base.render import decode_image, render_video
from reelforge.emulators.minimax.errors import business, render_error
from reelforge.emulators.own_files import load_input

SANDBOX_KEY = "minimax-sandbox-key"
SANDBOX_CREDENTIAL = {"api_key": SANDBOX_KEY}
MAX_PROMPT = 2000


@dataclass(frozen=True)
class Rule:
    t2v: bool
    i2v: bool
    resolutions: Mapping[str, tuple[int, ...]]  # resolution → allowed durations
    default_resolution: str
    i2v_only_resolutions: tuple[str, ...] = ()
    last_frame: bool = False
    subject: bool = False


_HAILUO: dict[str, tuple[int, ...]] = {"768P": (6, 10), "1080P": (6,)}
_SERIES_01: dict[str, tuple[int, ...]] = {"720P": (6,)}
MODELS: dict[str, Rule] = {
    "MiniMax-Hailuo-2.3": Rule(True, True, _HAILUO, "768P"),
    "MiniMax-Hailuo-2.3-Fast": Rule(False, True, _HAILUO, "768P"),
    "MiniMax-Hailuo-02": Rule(
        True, True, {**_HAILUO, "512P": (6, 10)}, "768P", ("512P",), last_frame=True
    ),
    "T2V-01-Director": Rule(True, False, _SERIES_01, "720P"),
    "T2V-01": Rule(True, False, _SERIES_01, "720P"),
    "I2V-01-Director": Rule(False, True, _SERIES_01, "720P"),
    "I2V-01-live": Rule(False, True, _SERIES_01, "720P"),
    "I2V-01": Rule(False, True, _SERIES_01, "720P"),
    "S2V-01": Rule(True, False, _SERIES_01, "720P", subject=True),
}


class MiniMaxEmulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.state = EmulatorState("minimax", config, render_error)
        self.keys = set(config.keys) | {SANDBOX_KEY}
        self.files_by_id: dict[str, tuple[EmuTask, str]] = {}

    def owner(self, request: Request) -> str:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise FaultRaised("auth", message="missing")
        if key.strip() not in self.keys:
            raise FaultRaised("auth")
        return key.strip()

    def apply(self, task: EmuTask, fault: Fault | None, op: str) -> None:
        self.state.apply_task_fault(task, fault)
        if fault is not None and fault.kind == "moderation":
            # Refused while reading the input (1026) or after generating (1027).
            task.extra["fail_code"] = 1026 if op == "submit" else 1027

    async def load(self, value: Any, field: str) -> bytes:
        if not isinstance(value, str) or not value:
            raise FaultRaised("validation", message=f"{field} is required")
        try:
            return await load_input(self.state, value)
        except Exception as exc:  # unreadable input: MiniMax answers invalid params
            raise FaultRaised("validation", message=f"{field} cannot be read") from exc

    async def create(self, request: Request) -> Response:
        fault = await self.state.gate("submit")
        owner = self.owner(request)
        body = await read_json(request)
        model = body.get("model")
        rule = MODELS.get(str(model))
        if rule is None:
            raise FaultRaised("validation", message=f"model {model} is not supported")
        for flag in ("prompt_optimizer", "fast_pretreatment"):
            # Booleans in MiniMax's API reference; a string is refused as invalid params
            # (2013), which is how it answers every ill-typed field we know of.
            if flag in body and not isinstance(body[flag], bool):
                raise FaultRaised("validation", message=f"{flag} must be a boolean")
        prompt = body.get("prompt") or ""
        if not isinstance(prompt, str) or len(prompt) > MAX_PROMPT:
            raise FaultRaised(
                "validation", message=f"prompt must be at most {MAX_PROMPT} characters"
            )
        first_ref, last_ref = body.get("first_frame_image"), body.get("last_frame_image")
        if rule.subject:
            refs = body.get("subject_reference") or []
            images = refs[0].get("image") if refs and isinstance(refs[0], dict) else None
            if not images:
                raise FaultRaised("validation", message="subject_reference is required")
            first_ref = images[0]
        elif first_ref is None and not rule.t2v:
            raise FaultRaised("validation", message="first_frame_image is required")
        elif first_ref is not None and not rule.i2v:
            raise FaultRaised("validation", message=f"{model} does not take first_frame_image")
        if last_ref is not None and not rule.last_frame:
            raise FaultRaised("validation", message=f"{model} does not take last_frame_image")
        if not prompt and first_ref is None:
            raise FaultRaised("validation", message="prompt is required")
        duration, resolution = self.shape(body, rule, first_ref is not None)
        source = await self.load(first_ref, "first_frame_image") if first_ref else None
        if last_ref is not None:
            await self.load(last_ref, "last_frame_image")
        size = _size(source)
        task, _ = self.state.tasks.create(
            "video_generation",
            model=str(model),
            prompt=prompt,
            params=body,
            owner=owner,
            task_id=str(secrets.randbelow(9 * 10**14) + 10**14),
        )
        task.extra.update(size=size, resolution=resolution)
        task.extra["render"] = _renderer(prompt, duration, size, source)
        self.apply(task, fault, "submit")
        return business(0, "success", task_id=task.id)

    def shape(self, body: dict[str, Any], rule: Rule, has_image: bool) -> tuple[int, str]:
        if rule.subject:  # S2V takes neither duration nor resolution
            return 6, rule.default_resolution
        duration = body.get("duration", 6)
        resolution = str(body.get("resolution") or rule.default_resolution)
        if resolution not in rule.resolutions or (
            resolution in rule.i2v_only_resolutions and not has_image
        ):
            raise FaultRaised("validation", message=f"resolution {resolution} is not supported")
        if isinstance(duration, bool) or duration not in rule.resolutions[resolution]:
            raise FaultRaised(
                "validation", message=f"duration {duration} is not supported at {resolution}"
            )
        return int(duration), resolution

    async def query(self, request: Request) -> Response:
        fault = await self.state.gate("poll")
        owner = self.owner(request)
        task = self.state.tasks.get(request.query_params.get("task_id", ""), owner)
        if task is None:
            raise FaultRaised("validation", message="task_id not found")
        self.apply(task, fault, "poll")
        state, _ = task.state()
        width, height = task.extra["size"]
        fields: dict[str, Any] = {"task_id": task.id, "status": "", "file_id": ""}
        if state == "queued":
            early = time.monotonic() - task.created < task.queue_seconds / 2
            fields["status"] = "Preparing" if early else "Queueing"
        elif state == "running":
            fields["status"] = "Processing"
        elif state == "succeeded":
            fields |= {"status": "Success", "file_id": self.file_id(request, task)}
            fields |= {"video_width": width, "video_height": height}
        else:
            fields["status"] = "Fail"
            kind = task.failure[0] if task.failure else "fail"
            if kind == "moderation":
                return business(task.extra.get("fail_code", 1027), None, **fields)
        return business(0, "success", **fields)

    def file_id(self, request: Request, task: EmuTask) -> str:
        if "file_id" not in task.extra:
            url = self.state.file_url(request, "mp4", task.extra["render"])
            file_id = str(secrets.randbelow(9 * 10**14) + 10**14)
            self.files_by_id[file_id] = (task, url)
            task.extra["file_id"] = file_id
        return str(task.extra["file_id"])

    async def retrieve(self, request: Request) -> Response:
        await self.state.gate("poll")
        owner = self.owner(request)
        found = self.files_by_id.get(request.query_params.get("file_id", ""))
        if found is None or found[0].owner != owner:
            raise FaultRaised("validation", message="file_id not found")
        task, url = found
        stored = self.state.files.lookup(url.rsplit("/", 1)[-1])
        size = len(self.state.files.content(stored)) if stored else 0
        file = {
            # An int64 in MiniMax's schema (examples also show strings).
            "file_id": int(task.extra["file_id"]),
            "bytes": size,
            "created_at": int(time.time()),
            "filename": "output_aigc.mp4",
            "purpose": "video_generation",
            "download_url": url,
        }
        return business(0, "success", file=file)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/video_generation", self.create, methods=["POST"]),
            Route("/v1/query/video_generation", self.query, methods=["GET"]),
            Route("/v1/files/retrieve", self.retrieve, methods=["GET"]),
        ]


def _size(source: bytes | None) -> tuple[int, int]:
    """16:9 for text-to-video; image-to-video follows the first frame (longest side 320)."""
    if source is None:
        return 320, 180
    try:
        img = decode_image(source)
    except Exception as exc:  # not an image
        raise FaultRaised("validation", message="first_frame_image is not an image") from exc
    scale = 320 / max(img.width, img.height)
    return max(2, round(img.width * scale) // 2 * 2), max(2, round(img.height * scale) // 2 * 2)


def _renderer(
    prompt: str, duration: int, size: tuple[int, int], source: bytes | None
) -> Callable[[], bytes]:
    w, h = size
    return lambda: render_video(
        prompt, None, duration=duration, width=w, height=h, source_image=source
    )


def create_app(config: EmulatorConfig) -> Starlette:
    emulator = MiniMaxEmulator(config)
    app = create_emulator_app(emulator.state, emulator.routes())
    app.state.minimax = emulator
    return app
