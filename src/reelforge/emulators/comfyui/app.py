"""The ComfyUI server API, offline: HTTP routes (also under ``/api``) and the ``/ws`` socket.

ComfyUI has no authentication, no credit and no moderation. Faults of those kinds answer
as a reverse proxy in front of it would (plain-text 401/402/429); a ``moderation`` or
``fail`` task fault becomes an execution_error. Errors are aiohttp's plain-text pages
except ``POST /prompt``'s JSON rejections.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from reelforge.emulators.base import (
    EmulatorConfig,
    EmulatorState,
    Fault,
    create_emulator_app,
    malformed_response,
    retry_after_headers,
)
from reelforge.emulators.base.files import CONTENT_TYPES
from reelforge.emulators.comfyui.engine import ComfyServer, upload_id
from reelforge.emulators.comfyui.validate import check_prompt_id, prompt_error, validate

# ComfyUI has no key: sandbox mode needs no credential (the adapter uses its base URL).
SANDBOX_CREDENTIAL: dict[str, str] = {}
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind in ("validation", "moderation"):
        body = prompt_error("invalid_prompt", message or "Invalid prompt")
        return JSONResponse(body, status_code=400)
    if kind == "malformed":
        return malformed_response()
    if kind == "rate_limit":
        return PlainTextResponse("429: Too Many Requests", 429, headers=retry_after_headers(fault))
    status = {"auth": 401, "insufficient_credit": 402, "not_found": 404}.get(kind)
    if status is None:
        status = fault.status if fault is not None else 500
    reason = {401: "Unauthorized", 402: "Payment Required", 404: "Not Found"}.get(status)
    return PlainTextResponse(f"{status}: {message or reason or 'Internal Server Error'}", status)


class _ComfyState(EmulatorState):
    """Resetting the emulator (``/__emulator/reset``) also empties the server's queue,
    history, uploads and files."""

    server: ComfyServer | None = None

    def reset(self) -> None:
        super().reset()
        if self.server is not None:
            self.server.reset()


def create_app(config: EmulatorConfig) -> Starlette:
    state = _ComfyState("comfyui", config, render_error)
    server = state.server = ComfyServer(state, config.comfyui_extensions)
    routes = _routes(state, server)
    app = create_emulator_app(state, [*routes, *_api_prefixed(routes)])
    app.state.comfy = server
    app.add_middleware(OriginGuard)
    return app


def _api_prefixed(routes: list[BaseRoute]) -> list[BaseRoute]:
    prefixed: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Route):
            prefixed.append(
                Route("/api" + route.path, route.endpoint, methods=list(route.methods or ()))
            )
        elif isinstance(route, WebSocketRoute):
            prefixed.append(WebSocketRoute("/api" + route.path, route.endpoint))
    return prefixed


def _routes(state: EmulatorState, server: ComfyServer) -> list[BaseRoute]:
    async def body_of(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    async def post_prompt(request: Request) -> Response:
        fault = await state.gate("submit")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse(prompt_error("invalid_prompt", "Invalid JSON"), status_code=400)
        if not isinstance(body, dict) or "prompt" not in body:
            return JSONResponse(
                prompt_error("no_prompt", "No prompt provided", "No prompt provided"),
                status_code=400,
            )
        problem = check_prompt_id(body.get("prompt_id"))
        if problem is not None:
            return JSONResponse(problem, status_code=400)
        server.ensure_inputs(body["prompt"])
        error, outputs = validate(body["prompt"], server.object_info())
        if error is not None:
            return JSONResponse(error, status_code=400)
        prompt_id = body.get("prompt_id") or str(uuid.uuid4())
        # A repeated client prompt_id is answered with the prompt already queued (how the
        # real server treats a duplicate is not confirmed; this keeps retries harmless).
        known = server.prompt(prompt_id)
        if known is None:
            known = server.add(prompt_id, body["prompt"], outputs, body.get("client_id"))
            state.apply_task_fault(known.task, fault)
        return JSONResponse({"prompt_id": known.id, "number": known.number, "node_errors": {}})

    async def get_prompt(_request: Request) -> Response:
        await state.gate("poll")
        return JSONResponse({"exec_info": {"queue_remaining": server.queue_remaining()}})

    async def get_queue(_request: Request) -> Response:
        await state.gate("poll")
        running, pending = server.queue()
        return JSONResponse(
            {
                "queue_running": [p.queue_item() for p in running],
                "queue_pending": [p.queue_item() for p in pending],
            }
        )

    async def post_queue(request: Request) -> Response:
        await state.gate("cancel")
        body = await body_of(request)
        if body.get("clear"):
            server.delete_pending(None)
        if isinstance(body.get("delete"), list):
            server.delete_pending([str(x) for x in body["delete"]])
        return Response(status_code=200)

    async def interrupt(request: Request) -> Response:
        await state.gate("cancel")
        body = await body_of(request)
        server.interrupt(body.get("prompt_id"))
        return Response(status_code=200)

    async def history_one(request: Request) -> Response:
        await state.gate("poll")
        prompt = server.prompt(request.path_params["prompt_id"])
        entry = server.history_entry(prompt) if prompt is not None else None
        return JSONResponse({prompt.id: entry} if prompt is not None and entry is not None else {})

    async def history_all(request: Request) -> Response:
        await state.gate("poll")
        entries = {p.id: server.history_entry(p) for p in server.prompts.values()}
        found = [(k, v) for k, v in entries.items() if v is not None]
        limit = request.query_params.get("max_items")
        if limit and limit.isdigit():
            found = found[-int(limit) :]
        return JSONResponse(dict(found))

    async def post_history(request: Request) -> Response:
        body = await body_of(request)
        for prompt in server.prompts.values():
            if body.get("clear") or prompt.id in (body.get("delete") or []):
                prompt.forgotten = True
        return Response(status_code=200)

    async def get_object_info(request: Request) -> Response:
        await state.gate("account")
        info = server.object_info()
        name = request.path_params.get("node_class")
        if name is None:
            return JSONResponse(info)
        return JSONResponse({name: info[name]} if name in info else {})

    async def system_stats(_request: Request) -> Response:
        await state.gate("account")
        return JSONResponse(_SYSTEM_STATS)

    async def view(request: Request) -> Response:
        await state.gate("files")
        q = request.query_params
        filename = q.get("filename", "")
        subfolder = q.get("subfolder", "")
        if not filename or filename.startswith("/") or ".." in filename:
            return PlainTextResponse("400: Bad Request", 400)
        if subfolder.startswith("/") or ".." in subfolder.split("/"):
            return PlainTextResponse("403: Forbidden", 403)
        folder = q.get("type", "output")
        if folder == "input" and (subfolder, filename) not in server.inputs:
            server.ensure_inputs(
                {
                    "0": {
                        "class_type": "LoadImage",
                        "inputs": {"image": _joined(subfolder, filename)},
                    }
                }
            )
        elif folder != "input":
            server.ensure_file(folder, subfolder, filename)
        expired = state.faults.take("files", frozenset({"expired_output"})) is not None
        # Rendering is CPU work: keep it off the event loop (other requests share it).
        content = (
            None if expired else await asyncio.to_thread(server.view, folder, subfolder, filename)
        )
        if content is None:
            return PlainTextResponse("404: Not Found", 404)
        ext = filename.rsplit(".", 1)[-1].lower()
        return Response(
            content,
            media_type=CONTENT_TYPES.get(ext, "application/octet-stream"),
            headers={"Content-Disposition": f'filename="{filename}"'},
        )

    async def upload_image(request: Request) -> Response:
        await state.gate("files")
        form = await request.form()
        upload = form.get("image")
        if upload is None or isinstance(upload, str):
            return PlainTextResponse("400: Bad Request", 400)
        content = await upload.read()
        folder = str(form.get("type") or "input")
        subfolder = str(form.get("subfolder") or "")
        name = (upload.filename or "image.png").rsplit("/", 1)[-1]
        if folder != "input":
            return PlainTextResponse("400: only input uploads are emulated", 400)
        overwrite = str(form.get("overwrite") or "").lower() in ("true", "1")
        stem, dot, ext = name.rpartition(".")
        index = 1
        while not overwrite and server.inputs.get((subfolder, name)) not in (None, content):
            name = f"{stem} ({index}){dot}{ext}"  # ComfyUI's collision suffix
            index += 1
        server.inputs[(subfolder, name)] = content
        if state.durable is not None:  # kept on record, so prompts that load it can be rebuilt
            state.tasks.create(
                "upload", model="upload", task_id=upload_id(_joined(subfolder, name))
            )
        return JSONResponse({"name": name, "subfolder": subfolder, "type": folder})

    async def websocket(socket: WebSocket) -> None:
        await _websocket(socket, server)

    return [
        Route("/prompt", post_prompt, methods=["POST"]),
        Route("/prompt", get_prompt, methods=["GET"]),
        Route("/queue", get_queue, methods=["GET"]),
        Route("/queue", post_queue, methods=["POST"]),
        Route("/interrupt", interrupt, methods=["POST"]),
        Route("/history", history_all, methods=["GET"]),
        Route("/history", post_history, methods=["POST"]),
        Route("/history/{prompt_id}", history_one, methods=["GET"]),
        Route("/object_info", get_object_info, methods=["GET"]),
        Route("/object_info/{node_class:path}", get_object_info, methods=["GET"]),
        Route("/system_stats", system_stats, methods=["GET"]),
        Route("/view", view, methods=["GET"]),
        Route("/upload/image", upload_image, methods=["POST"]),
        WebSocketRoute("/ws", websocket),
    ]


async def _websocket(socket: WebSocket, server: ComfyServer) -> None:
    """Status on connect, the current node for a reconnecting client, then every event of
    this client's prompts as it happens (past events are not replayed, as on the server)."""
    await socket.accept()
    sid = socket.query_params.get("clientId") or uuid.uuid4().hex
    lock = asyncio.Lock()

    async def send(kind: str, data: dict[str, Any]) -> None:
        async with lock:
            await socket.send_text(json.dumps({"type": kind, "data": data}))

    def mine() -> list[Any]:
        return [p for p in server.prompts.values() if p.client_id == sid]

    now = time.monotonic()
    cursors = {p.id: len(server.events(p, now)) for p in mine()}
    last_queue = server.queue_remaining()
    await send("status", {"status": {"exec_info": {"queue_remaining": last_queue}}, "sid": sid})
    running = [p for p in mine() if server.status(p) == "running"]
    if running:
        await send("executing", {"node": server.current_node(running[0])})

    async def read() -> None:
        while True:
            text = await socket.receive_text()
            try:
                message = json.loads(text)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("type") == "feature_flags":
                await send(
                    "feature_flags",
                    {"supports_preview_metadata": True, "max_upload_size": 104857600},
                )

    reader = asyncio.create_task(read())
    try:
        while not reader.done():
            queue = server.queue_remaining()
            if queue != last_queue:
                last_queue = queue
                await send("status", {"status": {"exec_info": {"queue_remaining": queue}}})
            now = time.monotonic()
            for prompt in mine():
                events = server.events(prompt, now)
                for kind, data in events[cursors.get(prompt.id, 0) :]:
                    await send(kind, data)
                cursors[prompt.id] = len(events)
            await asyncio.sleep(0.02)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()


class OriginGuard:
    """ComfyUI answers 403 when a loopback request's Origin host differs from its Host."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
            host, origin = headers.get("host", ""), headers.get("origin")
            if origin and host.split(":")[0] in _LOOPBACK:
                origin_host = origin.split("://", 1)[-1].rstrip("/")
                if origin_host != host:
                    if scope["type"] == "http":
                        await PlainTextResponse("403: Forbidden", 403)(scope, receive, send)
                    else:
                        await send({"type": "websocket.close", "code": 1008})
                    return
        await self.app(scope, receive, send)


_SYSTEM_STATS = {
    "system": {
        "os": "posix",
        "ram_total": 68719476736,
        "ram_free": 51539607552,
        "comfyui_version": "0.3.60",
        "python_version": "3.11.9 (main) [GCC 12.2.0]",
        "pytorch_version": "2.7.1+cu128",
        "embedded_python": False,
        "argv": ["main.py", "--listen", "127.0.0.1"],
    },
    "devices": [
        {
            "name": "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync",
            "type": "cuda",
            "index": 0,
            "vram_total": 25757220864,
            "vram_free": 24021090304,
            "torch_vram_total": 0,
            "torch_vram_free": 0,
        }
    ],
}


def _joined(subfolder: str, name: str) -> str:
    return f"{subfolder}/{name}" if subfolder else name
