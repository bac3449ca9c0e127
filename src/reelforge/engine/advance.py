"""Advancing a step: the one function every runner calls (embedded or Dramatiq).

``advance(step_id)`` looks at the step's persisted status and does the next piece of work:
held → (cache hit | submit) → submitted → poll … → collecting → succeeded, or failed.
Each move is a compare-and-set, committed before the next side effect, so running
``advance`` twice, concurrently, or after a crash never submits twice or pays twice:
- the provider task id is committed the moment the provider returns it;
- a step found in ``submitting`` after its lease ran out is started again when its
  request was never sent, resubmitted when the provider is idempotent (same idempotency
  key), looked up at the provider when it can be reconciled; otherwise it fails with a
  clear error and its share of the hold is released (engine.recovery).

Routing (``engine.routing``): a step has options, its model then its fallbacks. Each
submission goes to the current option unless its provider is cooling down or not
connected; a failure is retried on the same option (backoff, Retry-After), moves to the
next option, or fails the step, and every attempt is an event and a line of the route.
Provider calls pass the per-credential limits (``providers.limits``) and are recorded in
the health board (``providers.health``).
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from reelforge.domain.errors import ReelForgeError
from reelforge.engine import repo
from reelforge.engine.attempts import Attempts
from reelforge.engine.catalog_access import CatalogAccess
from reelforge.engine.collect import Advance, Collecting, LostRace
from reelforge.engine.events import EventBus
from reelforge.engine.launch import Fresh, Launch, Launching, Leases, Wait
from reelforge.engine.media_io import MediaIO
from reelforge.engine.polling import CALLBACK_POLL_FACTOR, Polling, Watch, interval_of, ramped
from reelforge.engine.ports import RunBilling
from reelforge.engine.progress import ProgressWrites
from reelforge.engine.recovery import Recovering
from reelforge.engine.requests import RequestBuilder
from reelforge.engine.router import Router
from reelforge.engine.routing import (
    RetryPolicy,
    RouteState,
    step_options,
)
from reelforge.engine.runs import RunFinisher
from reelforge.engine.states import StepStatus
from reelforge.logs import get_logger
from reelforge.providers.health import HealthBoard
from reelforge.providers.hub import ProviderHub
from reelforge.providers.limits import LimitBoard, Permit
from reelforge.storage.artifacts import ArtifactStore
from reelforge.storage.db import Database
from reelforge.storage.group_commit import GroupCommit
from reelforge.storage.run_tables import RunRow, StepRow
from reelforge.storage.send_gate import SendGate, SendRefused, gated
from reelforge.storage.sql import Tx
from reelforge.storage.tables import utcnow

__all__ = ["Advance", "Engine"]

log = get_logger("reelforge.engine")


class Engine(Launching, Recovering, Collecting, Attempts, Polling):
    def __init__(
        self,
        db: Database,
        hub: ProviderHub,
        artifacts: ArtifactStore,
        media: MediaIO,
        billing: RunBilling,
        events: EventBus,
        catalog: CatalogAccess,
        *,
        policy: RetryPolicy | None = None,
        health: HealthBoard | None = None,
        limits: LimitBoard | None = None,
    ) -> None:
        self.db = db
        self.hub = hub
        self.artifacts = artifacts
        self.media = media
        self.billing = billing
        self.events = events
        self.catalog = catalog
        self.policy = policy or RetryPolicy()
        self.health = health or HealthBoard(db)
        self.limits = limits or LimitBoard()
        self.router = Router(catalog, hub, self.health)
        self.requests = RequestBuilder(db, artifacts, media)
        self.finisher = RunFinisher(db, billing, events)
        # The moves of many steps at once share commits (storage.group_commit).
        self.writes = GroupCommit(db)
        self._watches: dict[str, Watch] = {}
        # New steps handed over with the rows just stored (``hand_over``): their first
        # advance reads nothing back.
        self._fresh: dict[str, Fresh] = {}
        self._progress = ProgressWrites(db, events)
        self.leases = Leases()

    async def advance(self, step_id: str) -> Advance:
        step = self.watched(step_id)  # a step being polled: nothing to read back
        run: RunRow | None = None
        launch: Launch | None = None
        if step is None and (handed := self._fresh.pop(step_id, None)) is not None:
            step, run, launch = handed.step, handed.run, handed.launch
        if launch is not None:
            try:
                return await self._submit_launched(launch)
            except ReelForgeError as exc:
                return await self._fail(launch.step, exc)
        if step is None:
            async with self.db.read() as sql:
                step = await repo.get_step(sql, step_id)
                if step is not None and step.status == StepStatus.HELD.value:
                    run = await repo.get_run(sql, step.run_id)  # _start needs it too
        if step is None:
            return Advance()
        status = StepStatus(step.status)
        if status is not StepStatus.SUBMITTED:
            self.unwatch(step_id)
        try:
            if status is StepStatus.HELD:
                return await self._start(step, run=run)
            if status is StepStatus.SUBMITTING:
                return await self._recover_submitting(step)
            if status is StepStatus.SUBMITTED:
                return await self._poll(step)
            if status is StepStatus.COLLECTING:
                return await self._collect_again(step)
        except ReelForgeError as exc:
            self.unwatch(step_id)
            return await self._fail(step, exc)
        return Advance()

    # -- held → submitting → submitted ----------------------------------------------------
    async def _start(
        self, step: StepRow, *, pinned: bool = False, run: RunRow | None = None
    ) -> Advance:
        now = time.time()
        if step.next_at is not None and step.next_at > now + 0.001:
            return Advance(next_at=step.next_at)  # a retry that is not due yet
        parents: list[StepRow] = []
        if run is None or step.depends_on:
            async with self.db.read() as sql:
                run = run or await repo.get_run(sql, step.run_id)
                if step.depends_on:
                    parents = [
                        s
                        for s in await repo.run_steps(sql, step.run_id)
                        if s.node_id in step.depends_on
                    ]
        if run is None:
            return Advance()
        if run.status in ("canceled", "canceling"):
            return await self.finisher.cancel_step(step)
        bad = [p for p in parents if p.status in ("failed", "skipped", "canceled")]
        if bad:
            return await self.finisher.skip(
                step, f"upstream step {bad[0].node_id!r} {bad[0].status}"
            )
        if any(p.status != StepStatus.SUCCEEDED.value for p in parents):
            return Advance()  # a parent's completion wakes this step
        if run.allow_cache and step.cache_key and not step.implicit:
            hit = await self._from_cache(step)
            if hit is not None:
                return hit
        prepared = await self._prepare(step, parents, now, pinned=pinned)
        if isinstance(prepared, Wait):
            await self._save_route(
                step, prepared.route, StepStatus.HELD, prepared.skipped, next_at=prepared.next_at
            )
            return Advance(next_at=prepared.next_at)
        try:
            launch, queued = prepared, run.status == "queued"

            async def take_lease(tx: Tx) -> bool:
                moved = await repo.transition(
                    tx, step.id, StepStatus.HELD, StepStatus.SUBMITTING, **launch.lease()
                )
                if moved:
                    for kind, data in launch.events():
                        await self.events.emit(tx, step.run_id, kind, data, step.id)
                    if queued:
                        await self.finisher.mark_running(tx, step.run_id)
                return moved

            if not await self.writes.run(take_lease):
                return Advance()
            self.events.notify(step.run_id)
            return await self._submit(launch)
        finally:
            prepared.permit.release()

    async def _prepare(
        self, step: StepRow, parents: list[StepRow], now: float, *, pinned: bool = False
    ) -> Launch | Wait:
        """The option to submit to and the provider's permit, or how long to wait."""
        route = RouteState.load(step.route)
        options = step_options(step.model, step.request, step.quote_micros)
        skipped: list[dict[str, Any]] = []
        chosen = await self._choose(step, route, options, skipped, now, pinned=pinned)
        if isinstance(chosen, Wait):
            return chosen
        _option, entry, resolved, key = chosen
        permit = await self.limits.try_acquire(key, submit=True)
        if not isinstance(permit, Permit):
            return Wait(now + permit, route, skipped)  # over the provider's limits: stay held
        route.tries += 1
        route.started_at = route.started_at or now
        return Launch(
            step, parents, route, options, entry, resolved, key, permit, now, skipped, self.leases
        )

    async def _submit(self, launch: Launch) -> Advance:
        step, parents, route, options = launch.step, launch.parents, launch.route, launch.options
        entry, resolved, key, option = launch.entry, launch.resolved, launch.key, launch.option
        request, notes = await self.requests.build(
            step,
            entry,
            option,
            parents,
            idempotency_key=route.idempotency_key(step.idempotency_key),
            provider=type(resolved.provider),
            sandbox=resolved.sandbox,
        )
        if resolved.provider.supports_callbacks and not resolved.sandbox:
            request.callback_url = self.media.callback_url(
                task_provider=entry.provider, step_id=step.id
            )
        # The sent mark is written by the transport just before the request's first byte
        # leaves (storage.send_gate): the adapter's own work is outside the crash window.
        gate = SendGate(partial(self.mark_sent, launch)) if launch.marks_sending else None
        started = time.monotonic()
        try:
            with gated(gate):
                task = await resolved.provider.submit(request, resolved.credential)
        except SendRefused:
            log.info("launch_taken_back", step_id=step.id)
            return Advance()  # its lease was taken back: another process has the step
        except ReelForgeError as exc:
            await self.health.record_failure(key, exc, time.monotonic() - started)
            return await self._after_failure(step, route, options, exc, StepStatus.SUBMITTING)
        await self.health.record_ok(key, time.monotonic() - started)
        interval = interval_of(task, resolved.provider.default_poll_interval)
        in_hand = task.in_hand is not None
        if request.callback_url and not in_hand:
            # The provider calls back when done; polling is only a slow safety net.
            task.meta["callback"] = True
            interval = max(interval * CALLBACK_POLL_FACTOR, 30.0)
        # Without a callback, the first poll comes soon (engine.polling.ramped).
        first_wait = interval if request.callback_url else ramped(interval, 0.0)
        route.note(
            "submitted", option.model, attempt=route.tries, task_id=task.task_id, notes=notes
        )
        submitted_at = utcnow()
        values: dict[str, Any] = {
            "task": task.model_dump(mode="json"),
            "task_id": task.task_id,
            "provider": task.provider,
            "sandbox": resolved.sandbox,
            "served_by": option.model,
            "submitted_at": submitted_at,
            "next_at": time.time() + first_wait,
            "error": None,
            "route": route.dump(),
        }
        event = {
            "node": step.node_id,
            "task_id": task.task_id,
            "sandbox": resolved.sandbox,
            "model": option.model,
            "attempt": route.tries,
            "fallback": route.option > 0,
            "notes": notes,
        }

        async def record_task(tx: Tx) -> bool:
            moved = await repo.transition(
                tx, step.id, StepStatus.SUBMITTING, StepStatus.SUBMITTED, **values
            )
            if moved:
                await self.events.emit(tx, step.run_id, "step.submitted", event, step.id)
            return moved

        moved = await self.writes.run(record_task)
        if not moved:
            # The step was canceled (or resolved elsewhere) while we submitted: stop the task,
            # unless another process found this very task and goes on with it (a submission
            # that outlived its lease, reconciled meanwhile: engine.recovery).
            async with self.db.read() as sql:
                now_row = await repo.get_step(sql, step.id)
            if now_row is not None and now_row.task_id == task.task_id:
                return Advance()
            if resolved.provider.supports_cancel:
                try:
                    await resolved.provider.cancel(task, resolved.credential)
                except ReelForgeError:
                    log.warning("cancel_after_lost_race_failed", step_id=step.id)
            return Advance()
        self.events.notify(step.run_id)
        if in_hand:
            # The provider answered with the outcome (a synchronous API): the task is
            # recorded, so its outputs are collected (or its failure handled) in this same
            # advance, without a request to the provider.
            step.status = StepStatus.SUBMITTED.value
            for column, value in values.items():
                setattr(step, column, value)
            return await self._poll(step, resolved, task)
        return Advance(next_at=time.time() + first_wait)

    async def _fail(self, step: StepRow, exc: ReelForgeError) -> Advance:
        if isinstance(exc, LostRace):
            return Advance()
        result: Advance = await self.finisher.fail(step, exc)
        return result
