"""Following a prompt over ComfyUI's ``/ws?clientId=<id>`` WebSocket.

Execution events go only to the socket whose id is the prompt's ``client_id``; reconnecting
with the same id is how ComfyUI's own front end resumes. One poll listens for a short
window and returns what it saw (node, sampler steps, a terminal event). Events sent while
nobody listened are lost, so ``/history`` stays the authority on completion; the socket
gives progress and an early finish. Where the socket cannot be reached (a proxy without
WebSocket, an in-process sandbox transport) the base URL is remembered for a minute and
polling uses ``/history`` alone.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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


async def watch(
    base_url: str, client_id: str, prompt_id: str, *, window: float, connect_timeout: float = 3.0
) -> Snapshot:
    """Listen up to ``window`` seconds (less if the prompt finishes); never raises."""
    snapshot = Snapshot()
    if _unavailable.get(base_url, 0.0) > time.monotonic():
        return snapshot
    try:
        # No Origin header is sent: ComfyUI refuses a loopback Origin that differs from Host.
        async with websockets.connect(
            ws_url(base_url, client_id),
            open_timeout=connect_timeout,
            max_size=16 * 2**20,
            close_timeout=1.0,
        ) as socket:
            snapshot.connected = True
            deadline = asyncio.get_running_loop().time() + window
            while snapshot.finished is None:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                try:
                    raw = await asyncio.wait_for(socket.recv(), remaining)
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
    except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
        if not snapshot.connected:
            _unavailable[base_url] = time.monotonic() + UNAVAILABLE_SECONDS
    return snapshot
