"""One emulator's state: accepted keys, faults, tasks, files, and provider-shaped errors."""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from reelforge.emulators.base.durable import CURRENT, DurableStore
from reelforge.emulators.base.faults import TASK_KINDS, Fault, FaultPlan
from reelforge.emulators.base.files import MAX_FILES, FileStore
from reelforge.emulators.base.tasks import (
    FINISHED_GRACE_SECONDS,
    MAX_FINISHED_TASKS,
    EmuTask,
    TaskStore,
)

MAX_CALLBACKS_KEPT = 1_000

ErrorRenderer = Callable[[str, Fault | None, str | None], Response]
"""(kind, fault, message) → the provider's own error response for that kind:
"auth", "rate_limit", "server_error", "malformed", "insufficient_credit", "moderation",
"not_found", "validation"."""


class FaultRaised(Exception):
    def __init__(self, kind: str, fault: Fault | None = None, message: str | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.fault = fault
        self.message = message


@dataclass
class EmulatorConfig:
    keys: set[str] = field(default_factory=set)  # accepted credentials (provider-specific form)
    queue_seconds: float = 0.2
    run_seconds: float = 1.0
    image_run_seconds: float = 0.3
    file_ttl_seconds: float = 24 * 3600
    # Bounds on what is held in memory (tasks.MAX_FINISHED_TASKS, files.MAX_FILES): past
    # them the oldest finished tasks and files are dropped, once this old (seconds).
    max_finished_tasks: int = MAX_FINISHED_TASKS
    max_files: int = MAX_FILES
    retention_grace_seconds: float = FINISHED_GRACE_SECONDS
    # Where output URLs point; None → the request's own base URL.
    public_base_url: str | None = None
    # Task state kept where it outlives the process and is shared by every process that
    # opens the same file; None → in memory only.
    durable: DurableStore | None = None
    # Transports for hosts the emulator fetches inputs from in-process (sandbox mode's
    # signed links: reelforge.sandbox_links), as httpx ``mounts``.
    fetch_mounts: dict[str, httpx.AsyncBaseTransport] | None = None
    # ComfyUI: the custom node packs its server has installed; None → every pack it knows.
    comfyui_extensions: frozenset[str] | None = None
    # The longest a create call is held for a synchronous answer (Replicate's Prefer: wait,
    # Runware's sync delivery) when the task is not done; None → the provider's own limit.
    # Tests shorten it so a stuck task costs them seconds, not the provider's minute.
    max_hold_seconds: float | None = None

    def hold(self, provider_limit: float) -> float:
        if self.max_hold_seconds is None:
            return provider_limit
        return min(provider_limit, self.max_hold_seconds)


class EmulatorState:
    def __init__(self, name: str, config: EmulatorConfig, render_error: ErrorRenderer) -> None:
        self.name = name
        self.config = config
        self.render_error = render_error
        self.faults = FaultPlan()
        self.tasks = TaskStore(
            queue_seconds=config.queue_seconds,
            run_seconds=config.run_seconds,
            max_finished=config.max_finished_tasks,
            finished_grace_seconds=config.retention_grace_seconds,
        )
        self.files = FileStore(
            ttl_seconds=config.file_ttl_seconds,
            max_files=config.max_files,
            grace_seconds=config.retention_grace_seconds,
        )
        self.durable = config.durable
        self.tasks.attach(name, config.durable)
        self.files.attach(name, config.durable)
        self.requests: dict[str, int] = {}
        # The latest callbacks only (for stats): one is sent per task with a callback URL,
        # and a long-running sandbox must not keep them all.
        self.callbacks_sent: deque[dict[str, Any]] = deque(maxlen=MAX_CALLBACKS_KEPT)
        self._http: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        mounts = {f"{host}": t for host, t in (self.config.fetch_mounts or {}).items()}
        return httpx.AsyncClient(timeout=30, follow_redirects=True, mounts=mounts or None)

    # -- faults -----------------------------------------------------------------------
    async def gate(self, op: str) -> Fault | None:
        """Apply request-level faults for ``op`` (raising FaultRaised for error answers);
        return a task-level fault (moderation, stuck, fail) for the handler to apply."""
        if self.replaying:  # rebuilding a recorded task: it met its faults the first time
            return None
        self.requests[op] = self.requests.get(op, 0) + 1
        latency = self.faults.take(op, frozenset({"latency"}))
        if latency is not None:
            await asyncio.sleep(latency.seconds)
        fault = self.faults.take(op, frozenset({"timeout"}))
        if fault is not None:
            await asyncio.sleep(fault.seconds or 60.0)
            raise FaultRaised("server_error", Fault("server_error", status=504))
        for kind in ("rate_limit", "server_error", "malformed", "auth", "insufficient_credit"):
            fault = self.faults.take(op, frozenset({kind}))
            if fault is not None:
                raise FaultRaised(kind, fault, fault.message)
        return self.faults.take(op, TASK_KINDS)

    def apply_task_fault(self, task: EmuTask, fault: Fault | None) -> None:
        if fault is None:
            return
        if fault.kind == "stuck":
            task.stuck = True
        elif fault.kind in ("moderation", "fail"):
            task.failure = (fault.kind, fault.message or DEFAULT_FAILURES[fault.kind])
        self.tasks.save(task)

    @property
    def replaying(self) -> bool:
        """True while a recorded request is replayed to rebuild its task (durable state)."""
        ctx = CURRENT.get()
        return ctx is not None and ctx.replay is not None

    def created_utc(self, task: EmuTask) -> datetime:
        """When ``task`` was made, as a wall-clock time (the same after a replay)."""
        return datetime.fromtimestamp(time.time() - (time.monotonic() - task.created), UTC)

    def recalled_input(self, ref: str) -> bytes | None:
        """Input media a replayed request fetched the first time."""
        ctx = CURRENT.get()
        return ctx.replay.inputs.get(ref) if ctx is not None and ctx.replay else None

    def remember_input(self, ref: str, data: bytes) -> None:
        """Keep fetched input media with the request, for a replay elsewhere or later."""
        ctx = CURRENT.get()
        if ctx is not None and self.durable is not None:
            ctx.inputs[ref] = data

    # -- media ------------------------------------------------------------------------
    def base_url(self, request: Request) -> str:
        if self.config.public_base_url:
            return self.config.public_base_url.rstrip("/")
        return str(request.base_url).rstrip("/")

    def file_url(self, request: Request, ext: str, render: Callable[[], bytes]) -> str:
        name = self.files.add(ext, render)
        return f"{self.base_url(request)}/files/{name}"

    async def load_media(self, ref: str) -> bytes:
        """Input media by data: URI, bare base64, or http(s) URL (emulators may use loopback)."""
        if ref.startswith("data:"):
            _, _, payload = ref.partition(",")
            return base64.b64decode(payload)
        if ref.startswith(("http://", "https://")):
            recalled = self.recalled_input(ref)
            if recalled is not None:
                return recalled
            if self._http is None:
                self._http = self._client()
            response = await self._http.get(ref)
            response.raise_for_status()
            self.remember_input(ref, response.content)
            return response.content
        try:
            return base64.b64decode(ref, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise FaultRaised("validation", message="input media is not a URL or base64") from exc

    # -- callbacks --------------------------------------------------------------------
    def schedule_callback(
        self,
        task: EmuTask,
        payload: Callable[[EmuTask], Awaitable[dict[str, Any]] | dict[str, Any]],
        headers: dict[str, str] | None = None,
    ) -> None:
        """POST ``payload(task)`` to the task's callback URL when it finishes."""
        if not task.callback_url or self.replaying:
            return

        async def fire() -> None:
            # Tasks keep time.monotonic(); a loop's timers (uvloop's in whole milliseconds)
            # may wake a little early, and a callback must never report an unfinished task.
            await asyncio.sleep(max(0.0, task.finishes_at - time.monotonic()) + 0.002)
            if (late := task.finishes_at - time.monotonic()) > 0:
                await asyncio.sleep(late + 0.002)
            body = payload(task)
            if asyncio.iscoroutine(body):
                body = await body
            if self._http is None:
                self._http = self._client()
            try:
                r = await self._http.post(task.callback_url or "", json=body, headers=headers or {})
                self.callbacks_sent.append({"task": task.id, "status": r.status_code})
            except httpx.HTTPError as exc:
                self.callbacks_sent.append({"task": task.id, "error": type(exc).__name__})

        asyncio.get_running_loop().create_task(fire())

    def stats(self) -> dict[str, Any]:
        return {
            "provider": self.name,
            "submissions": dict(self.tasks.submissions),
            "requests": dict(self.requests),
            "tasks": len(self.tasks.tasks),
            "faults": self.faults.active(),
            "callbacks_sent": list(self.callbacks_sent),
        }

    def reset(self) -> None:
        if self.durable is not None:
            self.durable.forget(self.name)
        self.faults.clear()
        self.tasks.reset()
        self.files.reset()
        self.requests.clear()
        self.callbacks_sent.clear()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()


DEFAULT_FAILURES = {
    "moderation": "The request was rejected by content moderation.",
    "fail": "Internal error while generating.",
}
