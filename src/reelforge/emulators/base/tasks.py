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
from typing import TYPE_CHECKING, Any, Literal

from reelforge.emulators.base.durable import CURRENT, NeedsRestore

if TYPE_CHECKING:
    from reelforge.emulators.base.durable import DurableStore

State = Literal["queued", "running", "succeeded", "failed", "canceled"]

# A bound on the tasks one emulator holds in memory. Real providers forget tasks and
# their outputs after a while (Runway's output URLs expire in 24-48 h, Kling's in 30
# days: reference/providers-video.md); without a bound a long-running sandbox
# `reelforge serve` kept every task it ever made and its RSS rose for as long as it ran
# (issue 25's soak: one task per run, ~3 KiB each). Past MAX_FINISHED_TASKS held, the
# oldest finished tasks are dropped, never one still queued, running or stuck, nor one
# finished less than FINISHED_GRACE_SECONDS ago (its caller has yet to read the result).
# With a durable store a dropped task stays on record, and a later request restores it.
MAX_FINISHED_TASKS = 1_000
FINISHED_GRACE_SECONDS = 30.0


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
    files_made: int = 0  # output files registered for it (numbers their durable tokens)

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

    def finished_before(self, moment: float) -> bool:
        """True if the task had reached a final state by ``moment`` (monotonic)."""
        if self.canceled_at is not None:
            return self.canceled_at <= moment
        return not self.stuck and self.finishes_at <= moment


class TaskStore:
    def __init__(
        self,
        *,
        queue_seconds: float = 0.2,
        run_seconds: float = 1.0,
        max_finished: int = MAX_FINISHED_TASKS,
        finished_grace_seconds: float = FINISHED_GRACE_SECONDS,
    ) -> None:
        self.queue_seconds = queue_seconds
        self.run_seconds = run_seconds
        self.max_finished = max_finished
        self.finished_grace_seconds = finished_grace_seconds
        self._prune_at = max_finished + _slack(max_finished)  # len(tasks) that prunes next
        self.tasks: dict[str, EmuTask] = {}
        self.by_idempotency: dict[str, str] = {}
        self.submissions: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._longest_queue = 0.0  # the longest any task waits queued
        # With a durable store: write through on create and mutation, read on a miss.
        self.emulator = ""
        self.durable: DurableStore | None = None
        self.lost: set[str] = set()  # on record, but a replay could not rebuild them

    def attach(self, emulator: str, durable: DurableStore | None) -> None:
        self.emulator, self.durable = emulator, durable

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
        ctx = CURRENT.get() if self.durable is not None else None
        replay = ctx.replay if ctx is not None else None
        created = time.monotonic()
        with self._lock:
            if idempotency_key and idempotency_key in self.by_idempotency:
                return self._touch(self.tasks[self.by_idempotency[idempotency_key]]), False
            if ctx is not None and replay is None and idempotency_key and self.durable:
                # A key we do not hold may be another process's (or a past life's) task.
                known = self.durable.task_by_idempotency(self.emulator, idempotency_key)
                if known is not None and known not in self.tasks and known not in self.lost:
                    raise NeedsRestore(known)
            if replay is not None:  # rebuilding a recorded task: its id and its time
                n, replay.created = replay.created, replay.created + 1
                if n < len(replay.rows):
                    row = replay.rows[n]
                    if row.id in self.tasks:
                        return self._touch(self.tasks[row.id]), False
                    task_id = row.id
                    created = time.monotonic() - (time.time() - row.created)
            if len(self.tasks) >= self._prune_at:
                self._prune(time.monotonic())
            task = EmuTask(
                id=task_id or str(uuid.uuid4()),
                op=op,
                model=model,
                prompt=prompt,
                seed=seed,
                params=dict(params or {}),
                created=created,
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
            if replay is None:
                self.submissions[op] += 1
                self.submissions["total"] += 1
        if ctx is not None and replay is None and self.durable is not None:
            request_id = self.durable.save_request(ctx)
            self.durable.add_task(self.emulator, task, request_id, ctx.created, time.time())
            ctx.created += 1
            ctx.made.append(task)
        return self._touch(task), True

    def _prune(self, now: float) -> int:
        """Drop the oldest finished tasks past ``max_finished`` (under the lock); returns
        how many. Tasks are held in the order they were made, so the oldest come first;
        unfinished ones (queued, running, stuck) are passed over and kept."""
        finished_by = now - self.finished_grace_seconds
        excess = len(self.tasks) - self.max_finished
        doomed: list[EmuTask] = []
        for task in self.tasks.values():
            if len(doomed) >= excess:
                break
            if task.finished_before(finished_by):
                doomed.append(task)
        for task in doomed:
            del self.tasks[task.id]
            key = task.idempotency_key
            if key and self.by_idempotency.get(key) == task.id:
                del self.by_idempotency[key]
        # Not again before another slack's worth of tasks: what could not go (unfinished,
        # or in its grace) is not looked at on every create.
        self._prune_at = max(len(self.tasks), self.max_finished) + _slack(self.max_finished)
        return len(doomed)

    @staticmethod
    def _touch(task: EmuTask) -> EmuTask:
        """Make ``task`` the one the current request's new output files belong to."""
        ctx = CURRENT.get()
        if ctx is not None:
            ctx.task = task
        return task

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
        if task is None and self.durable is not None and task_id not in self.lost:
            # Not held here: on record (made before a restart, or by another process)?
            if CURRENT.get() is not None and self.durable.task_request(self.emulator, task_id):
                raise NeedsRestore(task_id)
        if task is None or (owner is not None and task.owner and task.owner != owner):
            return None
        return self._touch(task)

    def cancel(self, task: EmuTask) -> bool:
        state, _ = task.state()
        if state in ("succeeded", "failed", "canceled"):
            return False
        task.canceled_at = time.monotonic()
        self.save(task)
        return True

    def undo(self, task: EmuTask) -> None:
        """Take back a task made by a request that stopped to restore another and will run
        again (so it is made once, by the run that completes)."""
        with self._lock:
            self.tasks.pop(task.id, None)
            if task.idempotency_key:
                self.by_idempotency.pop(task.idempotency_key, None)
            self.submissions[task.op] -= 1
            self.submissions["total"] -= 1
        if self.durable is not None:
            self.durable.drop_task(self.emulator, task.id)

    def delete(self, task: EmuTask) -> None:
        with self._lock:
            self.tasks.pop(task.id, None)
        if self.durable is not None:
            self.durable.save_task(self.emulator, task, deleted=True)

    def save(self, task: EmuTask) -> None:
        """Write a task's mutations (cancel, stuck, failure) through to the durable store."""
        if self.durable is not None and not _replaying():
            self.durable.save_task(self.emulator, task)

    def reset(self) -> None:
        with self._lock:
            self.tasks.clear()
            self.by_idempotency.clear()
            self.submissions.clear()
            self.lost.clear()
            self._prune_at = self.max_finished + _slack(self.max_finished)


def _slack(bound: int) -> int:
    """Tasks made between two prunes: each prune is a pass over the held tasks, so it runs
    once per this many creates, not on every one."""
    return max(1, bound // 10)


def _replaying() -> bool:
    ctx = CURRENT.get()
    return ctx is not None and ctx.replay is not None
