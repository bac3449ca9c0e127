"""The Runway emulator's routes: three generation endpoints, tasks, organization."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import datetime
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
from reelforge.emulators.base.render import render_video, size_for
from reelforge.emulators.inputcheck import decodable
from reelforge.emulators.runway import validate

API_VERSION = "2024-11-06"
SANDBOX_KEY = "key_" + "5a4db0c5" * 16  # "key_" + 128 hex characters, as Runway keys look
DOC_URL = "https://docs.dev.runwayml.com/api"
START_CREDITS = 100_000
MAX_CONCURRENT = 2  # per organisation: more queued tasks show THROTTLED
FAILURE_CODES = {"moderation": "SAFETY.INPUT.TEXT", "fail": "INTERNAL.BAD_OUTPUT.CODE01"}
FAILURE_TEXT = {
    "moderation": "Your prompt did not pass our content moderation. Please revise it.",
    "fail": "An unexpected error occurred.",
}
ENDPOINTS: dict[str, tuple[str, Callable[[dict[str, Any]], validate.Checked]]] = {
    "/v1/image_to_video": ("image_to_video", validate.image_to_video),
    "/v1/text_to_video": ("text_to_video", validate.text_to_video),
    "/v1/video_to_video": ("video_to_video", validate.video_to_video),
}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message, "docUrl": DOC_URL}, status_code=status, headers=headers)


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "auth":
        return _error(401, message or "Invalid API key. Make sure it is correct and active.")
    if kind == "rate_limit":
        # Whether Runway sends Retry-After is not documented; the SDK honours it if present.
        return _error(429, message or "Too many requests.", retry_after_headers(fault))
    if kind == "server_error":
        return _error(fault.status if fault else 503, message or "Service unavailable.")
    if kind == "malformed":
        return malformed_response()
    if kind == "insufficient_credit":
        # Runway answers an empty account with 400, not 402 (reference §3).
        return _error(400, message or "You do not have enough credits to run this task.")
    if kind == "not_found":
        return _error(404, message or "Not found.")
    if kind == "version":
        return _error(400, message or "Invalid or missing X-Runway-Version header.")
    return _error(400, message or "Bad request.")


class RunwayEmulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.state = EmulatorState("runway", config, render_error)
        self.keys = {SANDBOX_KEY, *config.keys}

    def owner(self, request: Request) -> str:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or key.strip() not in self.keys:
            raise FaultRaised("auth")
        version = request.headers.get("x-runway-version")
        if version != API_VERSION:
            raise FaultRaised(
                "version",
                message=f"X-Runway-Version must be set to a valid version (e.g. {API_VERSION}).",
            )
        return key.strip()

    async def submit(self, request: Request) -> Response:
        fault = await self.state.gate("submit")
        owner = self.owner(request)
        op, check = ENDPOINTS[route_path(request)]
        body = await read_json(request)
        try:
            checked = check(body)
        except validate.ValidationFailed as exc:
            return JSONResponse(
                {"error": "Validation of body failed", "issues": exc.issues, "docUrl": DOC_URL},
                status_code=400,
            )
        inputs: dict[str, Any] = {}
        for slot, uri in checked.media.items():
            field = {"video": "videoUri", "reference": "references"}.get(slot, "promptImage")
            try:
                inputs[slot] = await self.state.load_media(uri)
            except Exception:
                return _error(
                    400, f"Failed to fetch asset from {field}: the URI is unreachable or invalid."
                )
            if not decodable(inputs[slot], "video" if slot == "video" else "image"):
                return _error(400, f"Invalid asset at {field}: the file could not be decoded.")
        try:
            seconds = _seconds(inputs.get("video"), checked.params.get("duration"))
        except av.FFmpegError:
            return _error(400, "Failed to decode the video at videoUri.")
        task, _ = self.state.tasks.create(
            op,
            model=checked.model,
            prompt=checked.prompt,
            seed=checked.params.get("seed"),
            params=checked.params,
            inputs=inputs,
            owner=owner,
        )
        self.state.apply_task_fault(task, fault)
        task.extra["seconds"] = seconds
        task.extra["created_at"] = self.state.created_utc(task)
        return JSONResponse({"id": task.id})

    def _render(self, task: EmuTask) -> Callable[[], bytes]:
        p, media = task.params, task.inputs
        ratio = str(p.get("ratio") or "")
        width, height = (int(x) for x in ratio.split(":")) if ":" in ratio else (None, None)
        size = size_for(None, width, height) if width else None

        def draw() -> bytes:
            return render_video(
                task.prompt,
                task.seed,
                duration=task.extra["seconds"],
                aspect_ratio=p.get("target_aspect_ratio"),
                width=size[0] if size and "video" not in media else None,
                height=size[1] if size and "video" not in media else None,
                source_image=media.get("image_first") or media.get("image_last"),
                source_video=media.get("video"),
                with_audio=bool(p.get("audio")),
            )

        return draw

    @staticmethod
    def _estimate(task: EmuTask) -> int:
        return validate.credits(task.model, task.extra["seconds"], bool(task.params.get("audio")))

    def task_object(self, request: Request, task: EmuTask) -> dict[str, Any]:
        state, progress = task.state()
        created: datetime = task.extra["created_at"]
        data: dict[str, Any] = {
            "id": task.id,
            "createdAt": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        estimate = self._estimate(task)
        if state == "queued":
            running = sum(
                1
                for t in self.state.tasks.tasks.values()
                if t.owner == task.owner and t is not task and t.state()[0] == "running"
            )
            data["status"] = "THROTTLED" if running >= MAX_CONCURRENT else "PENDING"
            data["estimatedCost"] = {"credits": float(estimate)}
        elif state == "running":
            data.update(status="RUNNING", progress=round(progress, 2),
                        estimatedCost={"credits": float(estimate)})  # fmt: skip
        elif state == "succeeded":
            if not task.outputs:
                url = self.state.file_url(request, "mp4", self._render(task))
                # CloudFront-style signed URL; the token is decorative.
                # A signed-looking query derived from the URL: the same wherever it is rebuilt.
                jwt = hashlib.sha256(url.encode()).hexdigest()[:32]
                task.outputs = [{"url": f"{url}?_jwt={jwt}"}]
                task.extra["charged"] = estimate  # stays charged if later deleted
            data.update(status="SUCCEEDED", output=[o["url"] for o in task.outputs],
                        cost={"credits": estimate})  # fmt: skip
        elif state == "failed":
            kind = task.failure[0] if task.failure else "fail"
            data.update(
                status="FAILED",
                failure=FAILURE_TEXT.get(kind, "An unexpected error occurred."),
                failureCode=FAILURE_CODES.get(kind, "INTERNAL.BAD_OUTPUT.CODE01"),
                cost={"credits": 0},  # failed tasks are refunded
            )
        else:
            data.update(status="CANCELLED", cost={"credits": 0})
        return data

    async def get_task(self, request: Request) -> Response:
        fault = await self.state.gate("poll")
        owner = self.owner(request)
        task = self.state.tasks.get(request.path_params["id"], owner=owner)
        if task is None:
            raise FaultRaised("not_found", message="Task not found.")
        if fault is not None and task.state()[0] not in ("succeeded", "failed", "canceled"):
            self.state.apply_task_fault(task, fault)
        return JSONResponse(self.task_object(request, task))

    async def delete_task(self, request: Request) -> Response:
        await self.state.gate("cancel")
        owner = self.owner(request)
        task = self.state.tasks.get(request.path_params["id"], owner=owner)
        if task is None:
            raise FaultRaised("not_found", message="Task not found.")
        if not self.state.tasks.cancel(task):
            # Deleting a finished task: its outputs go away and it reads as CANCELLED
            # (the SDK's Cancelled type is "a cancelled or deleted task").
            task.outputs = []
            task.failure = None
            task.canceled_at = task.finishes_at
            self.state.tasks.save(task)
        return Response(status_code=204)

    async def organization(self, request: Request) -> Response:
        await self.state.gate("account")
        owner = self.owner(request)
        models = sorted(validate.CREDITS_PER_SECOND)
        daily: dict[str, int] = {}
        spent = 0
        for task in self.state.tasks.tasks.values():
            if task.owner == owner:
                daily[task.model] = daily.get(task.model, 0) + 1
                if task.state()[0] == "succeeded" and not task.outputs:
                    # Charged on success even if nobody has polled since.
                    task.extra.setdefault("charged", self._estimate(task))
                spent += int(task.extra.get("charged", 0))
        return JSONResponse(
            {
                "creditBalance": max(0, START_CREDITS - spent),
                "tier": {
                    "maxMonthlyCreditSpend": 1_000_000,
                    "models": {
                        m: {"maxConcurrentGenerations": MAX_CONCURRENT, "maxDailyGenerations": 1000}
                        for m in models
                    },
                },
                "usage": {"models": {m: {"dailyGenerations": n} for m, n in daily.items()}},
            }
        )


def _seconds(video: bytes | None, duration: Any) -> float:
    """Output length: a remix follows its source video (up to 10 s), others the request."""
    if video is not None:
        with av.open(io.BytesIO(video), mode="r") as container:
            return min(10.0, float(container.duration or 5_000_000) / 1_000_000)
    return float(duration or 5)


def build_app(config: EmulatorConfig) -> Starlette:
    emu = RunwayEmulator(config)
    routes = [Route(path, emu.submit, methods=["POST"]) for path in ENDPOINTS]
    routes += [
        Route("/v1/tasks/{id}", emu.get_task, methods=["GET"]),
        Route("/v1/tasks/{id}", emu.delete_task, methods=["DELETE"]),
        Route("/v1/organization", emu.organization, methods=["GET"]),
    ]
    return create_emulator_app(emu.state, routes)
