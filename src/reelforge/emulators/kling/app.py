"""The Kling emulator's routes: submit, query one, list, account costs."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelforge.emulators.base import (
    EmulatorConfig,
    EmulatorState,
    EmuTask,
    FaultRaised,
    create_emulator_app,
    read_json,
    route_path,
)
from reelforge.emulators.base.render import render_audio, render_image, render_video
from reelforge.emulators.inputcheck import decodable
from reelforge.emulators.kling import validate
from reelforge.emulators.kling.auth import verify_token
from reelforge.emulators.kling.errors import RISK_CONTROL_MESSAGE, kling_fault, render_error

SANDBOX_ACCESS_KEY = "kling-sandbox-access-key"
SANDBOX_SECRET_KEY = "kling-sandbox-secret-key-0123456789abcdef"  # noqa: S105 (a public sandbox value)
PACK_UNITS = 1000.0

# submit path → (operation name, validator)
ENDPOINTS: dict[str, tuple[str, Callable[[dict[str, Any]], validate.Checked]]] = {
    "/v1/videos/text2video": ("text2video", validate.text2video),
    "/v1/videos/image2video": ("image2video", validate.image2video),
    "/v1/images/generations": ("images", validate.images),
    "/v1/videos/avatar/image2video": ("avatar", validate.avatar),
    "/v1/videos/lip-sync": ("lip-sync", validate.lipsync),
}


def _ms(monotonic: float) -> int:
    """A task's monotonic timestamp as epoch milliseconds (Kling reports ms)."""
    return int((time.time() - (time.monotonic() - monotonic)) * 1000)


def _units(op: str, params: dict[str, Any]) -> str:
    # Illustrative unit deductions (the reference has no reliable per-task figures).
    if op == "images":
        return str(0.25 * params.get("n", 1))
    base = 3.5 if params.get("mode") == "pro" else 1.0
    return str(base * (2 if params.get("duration") == 10 else 1))


class KlingEmulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.state = EmulatorState("kling", config, render_error)
        # Extra accepted keys come as "ACCESS:SECRET".
        self.secrets = {SANDBOX_ACCESS_KEY: SANDBOX_SECRET_KEY}
        for pair in config.keys:
            access, _, secret = pair.partition(":")
            if access and secret:
                self.secrets[access] = secret
        self.external_ids: dict[tuple[str, str], str] = {}

    def owner(self, request: Request) -> str:
        return verify_token(request.headers.get("authorization"), self.secrets)

    def ok(self, data: Any) -> Response:
        return JSONResponse(
            {"code": 0, "message": "SUCCEED", "request_id": secrets.token_urlsafe(16), "data": data}
        )

    # -- submit -------------------------------------------------------------------------
    async def submit(self, request: Request) -> Response:
        fault = await self.state.gate("submit")
        owner = self.owner(request)
        path = route_path(request)
        op, check = ENDPOINTS[path]
        body = await read_json(request)
        checked = check(body)
        external = body.get("external_task_id")
        if external and (owner, external) in self.external_ids:
            raise kling_fault(1201, "external_task_id already exists, it must be unique")
        if fault is not None and fault.kind == "moderation":
            raise kling_fault(1301, fault.message)
        inputs = {slot: await self._load(ref, slot) for slot, ref in checked.media.items()}
        if checked.params.get("video_id"):
            inputs["video_url"] = self._video_by_id(owner, str(checked.params["video_id"]))
        task, created = self.state.tasks.create(
            op,
            model=checked.model,
            prompt=checked.prompt,
            params=checked.params,
            inputs=inputs,
            owner=owner,
            # As the key, the external id is unique across processes too (durable state).
            idempotency_key=f"{owner}\x1f{external}" if external else None,
            task_id=secrets.token_urlsafe(16)[:22],
            callback_url=body.get("callback_url"),
            run_seconds=self.state.config.image_run_seconds if op == "images" else None,
        )
        if not created and not self.state.replaying:
            raise kling_fault(1201, "external_task_id already exists, it must be unique")
        task.extra["external_task_id"] = external
        if external:
            self.external_ids[(owner, external)] = task.id
        self.state.apply_task_fault(task, fault)
        task.outputs = self._outputs(request, task)
        self.state.schedule_callback(task, self.task_data)
        return self.ok(self.task_data(task, submitted=True))

    async def _load(self, ref: str, slot: str) -> bytes:
        try:
            data = await self.state.load_media(ref)
        except FaultRaised:
            raise validate.bad(f"{slot} is not a valid URL or Base64 string") from None
        except Exception as exc:
            raise validate.bad(f"{slot} could not be downloaded") from exc
        kind = {"sound_file": "audio", "audio": "audio", "video_url": "video"}.get(slot, "image")
        if not decodable(data, kind):
            raise validate.bad(f"{slot} is not a readable {kind} file")
        return data

    def _video_by_id(self, owner: str, video_id: str) -> bytes:
        for task in self.state.tasks.tasks.values():
            if task.owner == owner and task.state()[0] == "succeeded":
                for out in task.outputs:
                    if out.get("id") == video_id:
                        return out["draw"]()
        raise validate.bad("input.video_id does not name a video of this account")

    def _outputs(self, request: Request, task: EmuTask) -> list[dict[str, Any]]:
        """Register the task's output files now (they render on first download)."""
        p, media, prompt = task.params, task.inputs, task.prompt
        if task.op == "images":
            out = []
            for index in range(int(p.get("n", 1))):

                def still(i: int = index) -> bytes:
                    return render_image(prompt, i, aspect_ratio=p.get("aspect_ratio"),
                                        source=media.get("image"))  # fmt: skip

                out.append({"index": index, "draw": still,
                            "url": self.state.file_url(request, "png", still)})  # fmt: skip
            return out
        if task.op == "avatar":
            audio = media.get("sound_file") or render_audio(str(p.get("audio_id") or "hello"))

            def draw() -> bytes:
                return render_video(prompt, None, source_image=media["image"], audio=audio)
        elif task.op == "lip-sync":
            speech = media.get("audio") or render_audio(prompt)

            def draw() -> bytes:
                return render_video(prompt, None, source_video=media["video_url"], audio=speech)
        else:
            image = media.get("image") or media.get("image_tail")

            def draw() -> bytes:
                return render_video(
                    prompt,
                    None,
                    duration=float(p.get("duration", 5)),
                    aspect_ratio=p.get("aspect_ratio") if image is None else None,
                    source_image=image,
                    with_audio=p.get("sound") == "on",
                )

        video_id = f"{task.id}-0"
        url = self.state.file_url(request, "mp4", draw)
        return [{"id": video_id, "draw": draw, "url": url, "duration": str(p.get("duration", ""))}]

    # -- query --------------------------------------------------------------------------
    def task_data(self, task: EmuTask, submitted: bool = False) -> dict[str, Any]:
        state, _ = task.state()
        status = {"queued": "submitted", "running": "processing", "succeeded": "succeed",
                  "failed": "failed", "canceled": "failed"}[state]  # fmt: skip
        if submitted:
            status = "submitted"
        data: dict[str, Any] = {
            "task_id": task.id,
            "task_status": status,
            "task_info": {},
            "created_at": _ms(task.created),
            "updated_at": _ms(min(time.monotonic(), task.finishes_at)),
        }
        if task.extra.get("external_task_id"):
            data["task_info"]["external_task_id"] = task.extra["external_task_id"]
        if status == "failed" and task.failure is not None:
            kind, message = task.failure
            data["task_status_msg"] = RISK_CONTROL_MESSAGE if kind == "moderation" else message
        if status == "succeed":
            data["task_status_msg"] = ""
            data["final_unit_deduction"] = _units(task.op, task.params)
            data["watermark_info"] = {"enabled": bool(task.params.get("watermark"))}
            public = [{k: v for k, v in o.items() if k != "draw"} for o in task.outputs]
            for item in public:
                item["watermark_url"] = ""
            key = "images" if task.op == "images" else "videos"
            data["task_result"] = {key: public}
            if task.op == "lip-sync":
                data["task_info"]["parent_video"] = {"id": task.params.get("video_id") or "",
                                                     "url": "", "duration": ""}  # fmt: skip
        return data

    async def query(self, request: Request) -> Response:
        fault = await self.state.gate("poll")
        owner = self.owner(request)
        prefix = route_path(request).rsplit("/", 1)[0]
        op = ENDPOINTS[prefix][0]
        task = self.state.tasks.get(request.path_params["task_id"], owner=owner)
        if task is None or task.op != op:
            raise kling_fault(1203, "task not found")
        if fault is not None and task.state()[0] not in ("succeeded", "failed"):
            self.state.apply_task_fault(task, fault)
        return self.ok(self.task_data(task))

    async def list_tasks(self, request: Request) -> Response:
        await self.state.gate("poll")
        owner = self.owner(request)
        op = ENDPOINTS[route_path(request)][0]
        try:
            page = int(request.query_params.get("pageNum", "1"))
            size = int(request.query_params.get("pageSize", "30"))
        except ValueError:
            raise validate.bad("pageNum and pageSize must be integers") from None
        if not 1 <= page <= 1000 or not 1 <= size <= 500:
            raise validate.bad("pageNum must be 1-1000 and pageSize 1-500")
        mine = [t for t in self.state.tasks.tasks.values() if t.owner == owner and t.op == op]
        mine.sort(key=lambda t: t.created, reverse=True)
        chunk = mine[(page - 1) * size : page * size]
        return self.ok([self.task_data(t) for t in chunk])

    async def costs(self, request: Request) -> Response:
        await self.state.gate("account")
        owner = self.owner(request)
        for name in ("start_time", "end_time"):
            if not request.query_params.get(name, "").isdigit():
                raise validate.bad(f"{name} is required (milliseconds)")
        spent = sum(
            float(_units(t.op, t.params))
            for t in self.state.tasks.tasks.values()
            if t.owner == owner and t.state()[0] == "succeeded"
        )
        now = int(time.time() * 1000)
        pack = {
            "resource_pack_name": "Video Generation - 1000 units",
            "resource_pack_id": "emulator-pack-1",
            "resource_pack_type": "decreasing_total",
            "total_quantity": PACK_UNITS,
            "remaining_quantity": max(0.0, PACK_UNITS - spent),
            "purchase_time": now - 86_400_000,
            "effective_time": now - 86_400_000,
            "invalid_time": now + 29 * 86_400_000,
            "status": "online" if spent < PACK_UNITS else "runOut",
        }
        return self.ok({"code": 0, "msg": "", "resource_pack_subscribe_infos": [pack]})


def build_app(config: EmulatorConfig) -> Starlette:
    emu = KlingEmulator(config)
    routes: list[Route] = [Route("/account/costs", emu.costs, methods=["GET"])]
    for path in ENDPOINTS:
        routes.append(Route(path, emu.submit, methods=["POST"]))
        routes.append(Route(path, emu.list_tasks, methods=["GET"]))
        routes.append(Route(f"{path}/{{task_id}}", emu.query, methods=["GET"]))
    return create_emulator_app(emu.state, routes)
