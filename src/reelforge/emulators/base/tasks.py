"""Emulated tasks whose state is a function of time: queued, then running, then done.

Nothing runs in the background: the state is computed when asked, so an emulator holds
tens of thousands of in-flight tasks cheaply. Output media are rendered on first download.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

State = Literal["queued", "running", "succeeded", "failed", "canceled"]


@dataclass
class EmuTask:
    id: str
    op: str  # provider-specific operation, e.g. "text2video"
    model: str
    prompt: str
    seed: int | None
    params: dict[str, Any]
    created: float
    queue_seconds: float
    run_seconds: float
    inputs: dict[str, Any] = field(default_factory=dict)  # media bytes or URLs by slot
    stuck: bool = False
    failure: tuple[str, str] | None = None  # (kind, message): "moderation" | "fail"
    canceled_at: float | None = None
    owner: str = ""  # the credential that made it (tasks are scoped to it)
    idempotency_key: str | None = None
    callback_url: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def state(self, now: float | None = None) -> tuple[State, float]:
        """(state, progress 0..1) at ``now``."""
        now = time.monotonic() if now is None else now
        if self.canceled_at is not None:
            return "canceled", 0.0
        elapsed = now - self.created
        if elapsed < self.queue_seconds:
            return "queued", 0.0
        if self.stuck:
            return "running", 0.5
        run = elapsed - self.queue_seconds
        if run < self.run_seconds:
            return "running", min(0.99, run / self.run_seconds) if self.run_seconds else 0.5
        if self.failure is not None:
            return "failed", 1.0
        return "succeeded", 1.0

    @property
    def finishes_at(self) -> float:
        return self.created + self.queue_seconds + self.run_seconds


class TaskStore:
    def __init__(self, *, queue_seconds: float = 0.2, run_seconds: float = 1.0) -> None:
        self.queue_seconds = queue_seconds
        self.run_seconds = run_seconds
        self.tasks: dict[str, EmuTask] = {}
        self.by_idempotency: dict[str, str] = {}
        self.submissions: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._longest_queue = 0.0  # the longest any task waits queued

    def create(
        self,
        op: str,
        *,
        model: str,
        prompt: str = "",
        seed: int | None = None,
        params: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        owner: str = "",
        idempotency_key: str | None = None,
        task_id: str | None = None,
        run_seconds: float | None = None,
        callback_url: str | None = None,
    ) -> tuple[EmuTask, bool]:
        """A new task, or the existing one for a repeated idempotency key (then False)."""
        with self._lock:
            if idempotency_key and idempotency_key in self.by_idempotency:
                return self.tasks[self.by_idempotency[idempotency_key]], False
            task = EmuTask(
                id=task_id or str(uuid.uuid4()),
                op=op,
                model=model,
                prompt=prompt,
                seed=seed,
                params=dict(params or {}),
                created=time.monotonic(),
                queue_seconds=self.queue_seconds,
                run_seconds=self.run_seconds if run_seconds is None else run_seconds,
                inputs=dict(inputs or {}),
                owner=owner,
                idempotency_key=idempotency_key,
                callback_url=callback_url,
            )
            self.tasks[task.id] = task
            self._longest_queue = max(self._longest_queue, task.queue_seconds)
            if idempotency_key:
                self.by_idempotency[idempotency_key] = task.id
            self.submissions[op] += 1
            self.submissions["total"] += 1
            return task, True

    def queued_ahead(self, task: EmuTask, now: float) -> int:
        """Tasks created before ``task`` that are still queued. Tasks are kept in the order
        they were created, so only those of the last queue window are looked at (newest
        first), not every task ever made: ten thousand tasks do not slow each answer."""
        horizon = now - self._longest_queue
        ahead = 0
        with self._lock:
            for other in reversed(self.tasks.values()):
                if other.created < horizon:
                    break
                if other.created < task.created and other.state(now)[0] == "queued":
                    ahead += 1
        return ahead

    def get(self, task_id: str, owner: str | None = None) -> EmuTask | None:
        task = self.tasks.get(task_id)
        if task is None or (owner is not None and task.owner and task.owner != owner):
            return None
        return task

    def cancel(self, task: EmuTask) -> bool:
        state, _ = task.state()
        if state in ("succeeded", "failed", "canceled"):
            return False
        task.canceled_at = time.monotonic()
        return True

    def reset(self) -> None:
        with self._lock:
            self.tasks.clear()
            self.by_idempotency.clear()
            self.submissions.clear()
