"""Polling submitted steps, cheaply enough for ten thousand in flight per worker.

A poll that brings no news writes nothing: the runner keeps the next poll time in memory
(a restart just polls at once), and the step row, its resolved provider and the polls
not yet counted stay in a ``Watch`` between polls, so a quiet poll is one provider
request and no database work. News is progress that moved by ``PROGRESS_STEP`` (or at
all after ``PROGRESS_SECONDS``), or a new log line when there is no progress figure; it
is written in batches (engine.progress). Errors and the end are written at once.
Progress reported at a steady rate also says when the task should end: polls skip ahead
to shortly before the soonest end the reports allow. A task whose outcome came with the
submission (``ProviderTask.result``) is never polled: its outcome is read from the task.
Anything that changes the step elsewhere (a cancel, a provider callback) goes through
``forget``; the compare-and-set on every transition still guards a stale watch.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.collect import Advance, LostRace
from reelforge.engine.progress import NOTE_POLLS, Pending, ProgressWrites
from reelforge.engine.routing import Option, RouteState, step_options
from reelforge.engine.states import StepStatus
from reelforge.logs import get_logger
from reelforge.providers.base import ProviderTask, TaskStatus, TaskUpdate
from reelforge.providers.health import HealthBoard, credential_key
from reelforge.providers.http import transient
from reelforge.providers.hub import ProviderHub, ResolvedProvider
from reelforge.providers.limits import LimitBoard, Permit
from reelforge.storage.run_tables import StepRow

if TYPE_CHECKING:
    from reelforge.engine.events import EventBus
    from reelforge.engine.launch import Fresh
    from reelforge.engine.runs import RunFinisher
    from reelforge.storage.db import Database

log = get_logger("reelforge.engine")

STEP_DEADLINE_SECONDS = 3 * 3600.0
CALLBACK_POLL_FACTOR = 6.0
PROGRESS_STEP = 0.05  # progress written when it moved this much …
PROGRESS_SECONDS = 5.0  # … or moved at all and this long passed since the last write
MAX_SKIP_SECONDS = 120.0  # the longest a progress estimate may postpone a poll
FIRST_POLL_SECONDS = 0.25  # the first poll after a submission …
RAMP_FRACTION = 0.5  # … then after half the task's age so far, up to the provider's interval
MAX_WATCHES = 200_000  # a bound, not a limit: past it the watches start over (reads again)


@dataclass
class Watch:
    """What a worker remembers about a step it polls."""

    row: StepRow
    resolved: ResolvedProvider
    progress: float | None
    message: str | None
    written_at: float
    polls: int = 0  # polls made since the last write
    first: tuple[float, float] | None = None  # (time, progress) of the first progress seen
    seen: float | None = None  # the progress of the last poll
    task: ProviderTask | None = None  # the step's task, parsed once
    step: float | None = None  # the smallest rise of progress seen between two polls


class Polling:
    """Mixed into Engine: submitted → (poll …) → collecting, or failed."""

    db: Database
    hub: ProviderHub
    events: EventBus
    health: HealthBoard
    limits: LimitBoard
    finisher: RunFinisher
    _watches: dict[str, Watch]
    _fresh: dict[str, Fresh]
    _progress: ProgressWrites

    def watched(self, step_id: str) -> StepRow | None:
        watch = self._watches.get(step_id)
        return watch.row if watch is not None else None

    def forget(self, step_ids: Any) -> None:
        """The steps changed elsewhere: read them again at their next advance."""
        for step_id in step_ids:
            self._watches.pop(step_id, None)
            fresh = self._fresh.pop(step_id, None)
            if fresh is not None and fresh.launch is not None:
                fresh.launch.permit.release()  # its submission will not happen here
            self._progress.drop(step_id)

    def unwatch(self, step_id: str) -> int:
        """Stop watching (the step moves on); returns the polls not yet counted."""
        watch = self._watches.pop(step_id, None)
        return (watch.polls if watch is not None else 0) + self._progress.drop(step_id)

    async def _poll(
        self,
        step: StepRow,
        resolved: ResolvedProvider | None = None,
        task: ProviderTask | None = None,
    ) -> Advance:
        now = time.time()
        watch = self._watches.get(step.id)
        if resolved is None and watch is None and step.next_at and step.next_at > now + 0.001:
            return Advance(next_at=step.next_at)
        if task is None:
            task = (
                watch.task
                if watch is not None and watch.task is not None
                else ProviderTask.model_validate(step.task)
            )
        if resolved is None:
            resolved = (
                watch.resolved
                if watch is not None
                else await self.hub.resolve(task.provider, step.owner_id)
            )
        key = credential_key(resolved.credential)
        interval = interval_of(task, resolved.provider.default_poll_interval)
        submitted_at = step.submitted_at.timestamp() if step.submitted_at else now
        if task.meta.get("callback"):
            interval = max(interval * CALLBACK_POLL_FACTOR, 30.0)
        else:
            interval = ramped(interval, now - submitted_at)
        # The outcome came with the submission (a synchronous API): nothing to ask.
        update = task.in_hand
        asked = update is None
        if update is None:
            permit = await self.limits.try_acquire(key)
            if not isinstance(permit, Permit):
                return Advance(next_at=now + permit)
            started = time.monotonic()
            try:
                update = await resolved.provider.poll(task, resolved.credential)
            except ReelForgeError as exc:
                await self.health.record_failure(key, exc, time.monotonic() - started)
                if exc.code is ErrorCode.NOT_FOUND:
                    # Our own task, unknown to the provider now: lost, not the user's 404.
                    self.unwatch(step.id)
                    route = RouteState.load(step.route)
                    route.rounds += 1
                    options = step_options(step.model, step.request, step.quote_micros)
                    lost = task_lost(exc, task)
                    return await self._after_failure(
                        step, route, options, lost, StepStatus.SUBMITTED
                    )
                if not exc.retryable:
                    raise
                delay = exc.retry_after or interval * random.uniform(1.0, 2.0)
                await self._poll_error(step, now + delay, exc)
                return Advance(next_at=now + delay)
            finally:
                permit.release()
            await self.health.record_ok(key, time.monotonic() - started)
        if update.status is TaskStatus.SUCCEEDED:
            polls = self.unwatch(step.id) + int(asked)
            return await self._collect(step, task, update, resolved.sandbox, interval, polls=polls)
        if update.status is not TaskStatus.RUNNING and update.status is not TaskStatus.QUEUED:
            self.unwatch(step.id)
        route = RouteState.load(step.route)
        options = step_options(step.model, step.request, step.quote_micros)
        if update.status is TaskStatus.FAILED:
            try:
                update.raise_for_error()
            except ReelForgeError as failed:
                reason = task_failure(failed)
                await self.health.record_failure(key, reason)
                route.rounds += 1  # the next task needs a fresh idempotency key
                return await self._after_failure(step, route, options, reason, StepStatus.SUBMITTED)
        if update.status is TaskStatus.CANCELED:
            return await self.finisher.cancel_step(step, provider_canceled=True)
        if now - submitted_at > STEP_DEADLINE_SECONDS:
            self.unwatch(step.id)  # it moves on: its watch would poll the old task again
            timeout = ReelForgeError(
                ErrorCode.ENGINE_TIMEOUT,
                "The provider did not finish in time.",
                detail={"task_id": task.task_id, "node": step.node_id},
            )
            await self.health.record_failure(key, timeout)
            if resolved.provider.supports_cancel:
                try:  # do not leave it running (and billing) while a fallback works
                    await resolved.provider.cancel(task, resolved.credential)
                except ReelForgeError:
                    log.warning("cancel_after_timeout_failed", step_id=step.id)
            route.rounds += 1
            return await self._after_failure(step, route, options, timeout, StepStatus.SUBMITTED)
        next_at = await self._note_progress(step, resolved, update, now, interval, task=task)
        return Advance(next_at=next_at)

    async def _note_progress(
        self,
        step: StepRow,
        resolved: ResolvedProvider,
        update: TaskUpdate,
        now: float,
        interval: float,
        *,
        task: ProviderTask | None = None,
    ) -> float:
        """Remember the poll, queue its news (if any) for writing; returns the next poll's
        time: the provider's suggestion, else one interval, or, when reported progress
        gives an estimate of the end, until shortly before that end."""
        watch = self._watches.get(step.id)
        if watch is None:
            if len(self._watches) >= MAX_WATCHES:
                self._watches.clear()
            watch = Watch(step, resolved, step.progress, None, written_at=now, task=task)
            self._watches[step.id] = watch
        watch.row, watch.polls = step, watch.polls + 1
        if update.progress is not None:
            if watch.first is None and update.progress > 0:
                watch.first = (now, update.progress)
            if watch.seen is not None and update.progress > watch.seen:
                rise = update.progress - watch.seen
                watch.step = rise if watch.step is None else min(watch.step, rise)
            watch.seen = update.progress
        if update.poll_after_seconds:
            delay = max(0.05, update.poll_after_seconds)
        else:
            delay = _until_near_the_end(watch, update.progress, now, interval)
        step.next_at = next_at = now + delay
        if update.progress is not None:
            changed = update.progress != watch.progress
            gained = update.progress - (watch.progress or 0.0)
            news = changed and (
                gained >= PROGRESS_STEP or now - watch.written_at >= PROGRESS_SECONDS
            )
        else:  # no progress figure: a new log line or queue position is the news
            news = bool(update.message) and update.message != watch.message
        if not news:
            return next_at  # a quiet poll: nothing to write
        polls, watch.polls = watch.polls, 0
        watch.progress, watch.message, watch.written_at = update.progress, update.message, now
        if update.progress is not None:
            step.progress = update.progress
        self._progress.add(
            step.id,
            Pending(
                run_id=step.run_id,
                node_id=step.node_id,
                status=step.status,
                polls=polls,
                progress=step.progress,
                message=update.message,
                next_at=next_at,
            ),
        )
        return next_at

    async def _collect(
        self,
        step: StepRow,
        task: ProviderTask,
        update: TaskUpdate,
        sandbox: bool,
        interval: float,
        *,
        polls: int = 0,
    ) -> Advance:
        """Store a finished task's outputs. A download that fails for a passing reason (a
        dropped connection, a 5xx) leaves the step submitted: the task is done and paid
        for, so it is asked again for its outputs at the next poll, until the deadline."""
        try:
            return await self._store_outputs(step, task, update, sandbox, polls=polls)
        except ReelForgeError as exc:
            now = time.time()
            submitted_at = step.submitted_at.timestamp() if step.submitted_at else now
            if (
                not exc.retryable
                or isinstance(exc, LostRace)  # the step moved on elsewhere
                or now - submitted_at > STEP_DEADLINE_SECONDS
            ):
                raise
            delay = exc.retry_after or max(interval, 1.0) * random.uniform(1.0, 2.0)
            await self._poll_error(step, now + delay, exc)
            return Advance(next_at=now + delay)

    async def _poll_error(self, step: StepRow, next_at: float, exc: ReelForgeError) -> None:
        """A retryable failure to poll: counted and told at once (not batched)."""
        async with self.db.write() as tx:
            await tx.execute(
                NOTE_POLLS,
                {
                    "_id": step.id,
                    "_status": step.status,
                    "_polls": 1,
                    "_progress": step.progress,
                    "_next_at": next_at,
                },
            )
            await self.events.emit(
                tx,
                step.run_id,
                "step.poll_error",
                {"node": step.node_id, **exc.to_dict()},
                step.id,
            )
        self.events.notify(step.run_id)

    if TYPE_CHECKING:  # provided by Engine's other mixins

        async def _store_outputs(
            self,
            step: StepRow,
            task: ProviderTask,
            update: TaskUpdate,
            sandbox: bool,
            *,
            polls: int = 0,
        ) -> Advance: ...

        async def _after_failure(
            self,
            step: StepRow,
            route: RouteState,
            options: list[Option],
            exc: ReelForgeError,
            status: StepStatus,
        ) -> Advance: ...


def _until_near_the_end(watch: Watch, progress: float | None, now: float, interval: float) -> float:
    """Seconds to the next poll. Progress reported at a steady rate tells when the task
    should end: skip to the soonest end the reports allow, then poll every interval again,
    so the end is seen within one interval as usual.

    Reported progress is coarse (whole percents, "step 3/28"): a figure may be up to one
    rise short of the truth. So the rate is taken as the fastest the reports allow (the
    first figure at the bottom of its rise, the last at the top) and the end as the
    soonest; and a skip is never longer than the time the rate was observed over (nor
    ``MAX_SKIP_SECONDS``), so an estimate from a few polls cannot postpone one far."""
    if progress is None or watch.first is None or watch.step is None:
        return interval
    since, first = watch.first
    elapsed = now - since
    if progress <= first or elapsed < interval:
        return interval
    fastest = (progress + watch.step - first) / elapsed
    soonest = (1.0 - progress - watch.step) / fastest
    return max(interval, min(MAX_SKIP_SECONDS, elapsed, soonest))


def ramped(interval: float, age: float) -> float:
    """The wait before the next poll of a task submitted ``age`` seconds ago: soon at
    first, then half its age so far, never more than the provider's interval. A task that
    ends after T seconds is then seen by about 1.5 T (or T + one interval), so a 1.5 s task
    is collected within a second instead of after a whole 10 s interval; a long task is
    polled at the provider's cadence after a few quick early looks (which write nothing)."""
    if interval <= FIRST_POLL_SECONDS:
        return interval
    return max(FIRST_POLL_SECONDS, min(interval, RAMP_FRACTION * max(0.0, age)))


def task_failure(exc: ReelForgeError) -> ReelForgeError:
    """A task the provider marked failed. It is resubmitted only when the provider's reason
    says trying again may help (``providers.http.transient``), or the adapter said so
    (``detail.transient``); never for moderation or invalid input. Other codes (an
    out-of-credit account, a lost key) keep their own routing."""
    exc.detail["task_failed"] = True
    if exc.code is ErrorCode.PROVIDER_ERROR:
        reason = f"{exc.message} {exc.detail.get('provider_message') or ''}"
        exc.retryable = bool(exc.detail.get("transient")) or transient(reason)
    return exc


def task_lost(exc: ReelForgeError, task: ProviderTask) -> ReelForgeError:
    """The provider answered 404 for a task it gave us: it expired or lost it."""
    return ReelForgeError(
        ErrorCode.PROVIDER_TASK_LOST,
        f"{task.provider}: the provider no longer knows task {task.task_id} "
        "(it expired or was lost).",
        detail={
            "provider": task.provider,
            "task_id": task.task_id,
            "provider_message": exc.message[:300],
            "task_failed": True,
        },
    )


def interval_of(task: ProviderTask, default: float) -> float:
    """The task's own poll interval when it has one; 0 when its outcome is in hand (a
    step left submitted by a crash is then collected at once, with no request)."""
    if task.in_hand is not None:
        return 0.0
    return default if task.poll_interval_seconds is None else task.poll_interval_seconds
