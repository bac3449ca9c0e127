"""Following a prompt over ComfyUI's ``/ws?clientId=<id>`` WebSocket.

Execution events go only to the socket whose id is the prompt's ``client_id``; reconnecting
with the same id is how ComfyUI's own front end resumes. One poll listens for a short
window and returns what it saw (node, sampler steps, a terminal event). Events sent while
nobody listened are lost, so ``/history`` stays the authority on completion; the socket
gives progress and an early finish. In sandbox mode the socket is opened through the
in-process emulator (httpx-ws over its ASGI transport). Where the socket cannot be reached
(a proxy without WebSocket) the base URL is remembered for a minute and polling uses
``/history`` alone.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import websockets

UNAVAILABLE_SECONDS = 60.0
_unavailable: dict[str, float] = {}  # base URL → monotonic time until which we don't try


@dataclass
class Snapshot:
    connected: bool = False
    started: bool = False
    node: str | None = None
    value: int | None = None
    max: int | None = None
    finished: str | None = None  # "success" | "error" | "interrupted" | "done"
    queue_remaining: int | None = None

    @property
    def progress(self) -> float | None:
        if self.value is None or not self.max:
            return None
        # Sampling is most of the work; decoding and saving follow it.
        return min(0.95, 0.95 * self.value / self.max)

    def apply(self, prompt_id: str, message: dict[str, Any]) -> None:
        kind = message.get("type")
        data = message.get("data") or {}
        if kind == "status":
            info = (data.get("status") or {}).get("exec_info") or {}
            if isinstance(info.get("queue_remaining"), int):
                self.queue_remaining = info["queue_remaining"]
            return
        if data.get("prompt_id") not in (None, prompt_id):
            return  # another prompt from the same client id
        if kind == "execution_start":
            self.started = True
        elif kind == "executing":
            if data.get("node") is None:
                if data.get("prompt_id") == prompt_id:
                    self.finished = self.finished or "done"
            else:
                self.started = True
                self.node = str(data["node"])
        elif kind == "progress":
            self.started = True
            self.value, self.max = data.get("value"), data.get("max")
        elif kind == "execution_success":
            self.finished = "success"
        elif kind == "execution_error":
            self.finished = "error"
        elif kind == "execution_interrupted":
            self.finished = "interrupted"


def ws_url(base_url: str, client_id: str) -> str:
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/") + "/ws"
    return urlunsplit((scheme, parts.netloc, path, f"clientId={client_id}", ""))


Receive = Callable[[], Awaitable[str | bytes]]


async def watch(
    base_url: str,
    client_id: str,
    prompt_id: str,
    *,
    window: float,
    connect_timeout: float = 3.0,
    client: httpx.AsyncClient | None = None,
) -> Snapshot:
    """Listen up to ``window`` seconds (less if the prompt finishes); never raises.

    With a ``client`` bound to an in-process app (sandbox mode's emulator behind an ASGI
    transport, which carries no WebSocket) the socket is the app's own, so the bar moves in
    sandbox too."""
    snapshot = Snapshot()
    if _unavailable.get(base_url, 0.0) > time.monotonic():
        return snapshot
    transport = getattr(client, "_transport", None)  # httpx keeps it private
    if isinstance(transport, httpx.ASGITransport):
        async with _InProcessSocket(transport.app, base_url, client_id) as socket:
            if socket.accepted:
                snapshot.connected = True
                await _listen(socket.recv, snapshot, prompt_id, window)
        return snapshot
    try:
        # No Origin header is sent: ComfyUI refuses a loopback Origin that differs from Host.
        async with websockets.connect(
            ws_url(base_url, client_id),
            open_timeout=connect_timeout,
            max_size=16 * 2**20,
            close_timeout=1.0,
        ) as ws:
            snapshot.connected = True
            await _listen(ws.recv, snapshot, prompt_id, window)
    except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
        if not snapshot.connected:
            _unavailable[base_url] = time.monotonic() + UNAVAILABLE_SECONDS
    return snapshot


async def _listen(receive: Receive, snapshot: Snapshot, prompt_id: str, window: float) -> None:
    deadline = asyncio.get_running_loop().time() + window
    while snapshot.finished is None:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            break
        try:
            raw = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            break
        if isinstance(raw, bytes):
            continue  # binary frames are preview images
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if isinstance(message, dict):
            snapshot.apply(prompt_id, message)


class _InProcessSocket:
    """A WebSocket to an ASGI app in this process: the ASGI messages through two queues."""

    def __init__(self, app: Any, base_url: str, client_id: str) -> None:
        parts = urlsplit(base_url)
        self.scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "wss" if parts.scheme == "https" else "ws",
            "server": (parts.hostname or "localhost", parts.port or 80),
            "client": ("127.0.0.1", 0),
            "root_path": "",
            "path": parts.path.rstrip("/") + "/ws",
            "raw_path": (parts.path.rstrip("/") + "/ws").encode(),
            "query_string": f"clientId={client_id}".encode(),
            "headers": [(b"host", (parts.netloc or "localhost").encode())],
            "subprotocols": [],
        }
        self.app = app
        self.to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.accepted = False
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _InProcessSocket:
        await self.to_app.put({"type": "websocket.connect"})
        self.task = asyncio.create_task(self._run())
        try:
            first = await asyncio.wait_for(self.from_app.get(), 3.0)
        except TimeoutError:
            return self
        self.accepted = first.get("type") == "websocket.accept"
        return self

    async def _run(self) -> None:
        try:
            await self.app(self.scope, self.to_app.get, self.from_app.put)
        finally:
            await self.from_app.put({"type": "websocket.close"})

    async def recv(self) -> str | bytes:
        message = await self.from_app.get()
        if message["type"] != "websocket.send":
            await self.from_app.put(message)  # closed: every later read sees it too
            raise ConnectionError("the in-process socket closed")
        text = message.get("text")
        return text if text is not None else bytes(message.get("bytes") or b"")

    async def __aexit__(self, *exc: object) -> bool:
        await self.to_app.put({"type": "websocket.disconnect", "code": 1000})
        if self.task is not None:
            try:
                await asyncio.wait_for(self.task, 1.0)
            except (TimeoutError, Exception):  # the app's own end is not ours to report
                self.task.cancel()
        return isinstance(exc[1], ConnectionError)
