"""Advancing a step: the one function every runner calls (embedded or Dramatiq).

``advance(step_id)`` looks at the step's persisted status and does the next piece of work:
held → (cache hit | submit) → submitted → poll … → collecting → succeeded, or failed.
Each move is a compare-and-set, committed before the next side effect, so running
``advance`` twice, concurrently, or after a crash never submits twice or pays twice:
- the provider task id is committed the moment the provider returns it;
- a step found in ``submitting`` after its lease ran out is resubmitted only when the
  provider is idempotent (same idempotency key); otherwise it fails with a clear error
  and its share of the hold is released.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine import repo
from reelforge.engine.catalog_access import CatalogAccess
from reelforge.engine.events import EventBus
from reelforge.engine.media_io import MediaIO
from reelforge.engine.ports import RunBilling
from reelforge.engine.states import StepStatus
from reelforge.logs import get_logger
from reelforge.providers.base import (
    GenerationRequest,
    InputMedia,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.hub import ProviderHub
from reelforge.storage.artifacts import ArtifactStore
from reelforge.storage.db import Database
from reelforge.storage.run_tables import StepRow
from reelforge.storage.tables import utcnow

log = get_logger("reelforge.engine")

SUBMIT_LEASE_SECONDS = 90.0  # longer than a submit call's HTTP timeout
MAX_SUBMIT_ATTEMPTS = 4
STEP_DEADLINE_SECONDS = 3 * 3600.0
CALLBACK_POLL_FACTOR = 6.0


@dataclass
class Advance:
    """What the runner should do next."""

    next_at: float | None = None  # advance this step again at this time (epoch seconds)
    wake: list[str] = field(default_factory=list)  # other steps that may now proceed
    run_finished: str | None = None  # a run that just reached a terminal status


class Engine:
    def __init__(
        self,
        db: Database,
        hub: ProviderHub,
        artifacts: ArtifactStore,
        media: MediaIO,
        billing: RunBilling,
        events: EventBus,
        catalog: CatalogAccess,
    ) -> None:
        self.db = db
        self.hub = hub
        self.artifacts = artifacts
        self.media = media
        self.billing = billing
        self.events = events
        self.catalog = catalog
        # Imported here: runs.py builds on Engine (finishing runs, skipping descendants).
        from reelforge.engine.runs import RunFinisher

        self.finisher = RunFinisher(db, billing, events)

    async def advance(self, step_id: str) -> Advance:
        async with self.db.session() as session:
            step = await repo.get_step(session, step_id)
        if step is None:
            return Advance()
        status = StepStatus(step.status)
        try:
            if status is StepStatus.HELD:
                return await self._start(step)
            if status is StepStatus.SUBMITTING:
                return await self._recover_submitting(step)
            if status is StepStatus.SUBMITTED:
                return await self._poll(step)
            if status is StepStatus.COLLECTING:
                return await self._collect_again(step)
        except ReelForgeError as exc:
            return await self._fail(step, exc)
        return Advance()

    # -- held → submitting → submitted ----------------------------------------------------
    async def _start(self, step: StepRow) -> Advance:
        now = time.time()
        if step.next_at is not None and step.next_at > now + 0.001:
            return Advance(next_at=step.next_at)  # a retry that is not due yet
        async with self.db.session() as session:
            run = await repo.get_run(session, step.run_id)
            parents = [
                s
                for s in await repo.run_steps(session, step.run_id)
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
        async with self.db.transaction() as session:
            moved = await repo.transition(
                session,
                step.id,
                StepStatus.HELD,
                StepStatus.SUBMITTING,
                attempts=step.attempts + 1,
                next_at=now + SUBMIT_LEASE_SECONDS,
            )
            if moved:
                await self.events.emit(
                    session, step.run_id, "step.submitting", {"node": step.node_id}, step.id
                )
            if moved and run.status == "queued":
                await self.finisher.mark_running(session, run.id)
        if not moved:
            return Advance()
        self.events.notify(step.run_id)
        return await self._submit(step, parents, attempt=step.attempts + 1)

    async def _submit(self, step: StepRow, parents: list[StepRow], *, attempt: int) -> Advance:
        entry = await self.catalog.get(step.model)
        resolved = await self.hub.resolve(entry.provider, step.owner_id)
        request = await self._build_request(step, entry, parents, resolved.provider.name)
        if resolved.provider.supports_callbacks and not resolved.sandbox:
            request.callback_url = self.media.callback_url(
                task_provider=entry.provider, step_id=step.id
            )
        try:
            task = await resolved.provider.submit(request, resolved.credential)
        except ReelForgeError as exc:
            if exc.retryable and attempt < MAX_SUBMIT_ATTEMPTS:
                delay = exc.retry_after or min(60.0, 2.0**attempt * random.uniform(0.8, 1.2))
                async with self.db.transaction() as session:
                    moved = await repo.transition(
                        session,
                        step.id,
                        StepStatus.SUBMITTING,
                        StepStatus.HELD,
                        next_at=time.time() + delay,
                        error=exc.to_dict(),
                    )
                    if moved:
                        await self.events.emit(
                            session,
                            step.run_id,
                            "step.retry",
                            {
                                "node": step.node_id,
                                "attempt": attempt,
                                "delay": delay,
                                "error": exc.to_dict(),
                            },
                            step.id,
                        )
                self.events.notify(step.run_id)
                return Advance(next_at=time.time() + delay)
            raise
        interval = _interval(task, resolved.provider.default_poll_interval)
        if request.callback_url:
            # The provider calls back when done; polling is only a slow safety net.
            task.meta["callback"] = True
            interval = max(interval * CALLBACK_POLL_FACTOR, 30.0)
        async with self.db.transaction() as session:
            moved = await repo.transition(
                session,
                step.id,
                StepStatus.SUBMITTING,
                StepStatus.SUBMITTED,
                task=task.model_dump(mode="json"),
                task_id=task.task_id,
                provider=task.provider,
                sandbox=resolved.sandbox,
                served_by=entry.id,
                submitted_at=utcnow(),
                next_at=time.time() + interval,
                error=None,
            )
            if moved:
                await self.events.emit(
                    session,
                    step.run_id,
                    "step.submitted",
                    {"node": step.node_id, "task_id": task.task_id, "sandbox": resolved.sandbox},
                    step.id,
                )
        if not moved:
            # The step was canceled (or resolved elsewhere) while we submitted: stop the task.
            if resolved.provider.supports_cancel:
                try:
                    await resolved.provider.cancel(task, resolved.credential)
                except ReelForgeError:
                    log.warning("cancel_after_lost_race_failed", step_id=step.id)
            return Advance()
        self.events.notify(step.run_id)
        return Advance(next_at=time.time() + interval)

    async def _recover_submitting(self, step: StepRow) -> Advance:
        now = time.time()
        if step.next_at is not None and step.next_at > now:
            return Advance(next_at=step.next_at)  # another worker may still be submitting
        entry = await self.catalog.get(step.model)
        provider_cls = self.hub.provider_class(entry.provider)
        if not provider_cls.idempotent_submit:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "The worker stopped while submitting this step; it was not resubmitted, to "
                "avoid a second charge.",
                detail={"node": step.node_id, "reason": "interrupted_submit"},
                remediation=("Run the pipeline again (cached steps are reused if allowed).",),
            )
        async with self.db.transaction() as session:
            # Take the lease again (version bump) before resubmitting with the same key.
            moved = await repo.transition(
                session,
                step.id,
                StepStatus.SUBMITTING,
                StepStatus.HELD,
                next_at=now,
            )
        if not moved:
            return Advance()
        async with self.db.session() as session:
            fresh = await repo.get_step(session, step.id)
        return await self._start(fresh) if fresh is not None else Advance()

    async def _build_request(
        self, step: StepRow, entry: Any, parents: list[StepRow], provider: str
    ) -> GenerationRequest:
        doc = step.request
        by_node = {p.node_id: p for p in parents}
        inputs: list[InputMedia] = []
        async with self.db.session() as session:
            for item in doc.get("inputs", []):
                artifact_id = item.get("artifact_id")
                if item.get("from_node"):
                    parent = by_node[item["from_node"]]
                    if not parent.outputs:
                        raise ReelForgeError(
                            ErrorCode.FILE_NOT_FOUND,
                            f"upstream step {parent.node_id!r} produced no output",
                        )
                    artifact_id = parent.outputs[0]
                if artifact_id:
                    row = await self.artifacts.get(artifact_id, owner_id=step.owner_id)
                    url = await self.media.input_url(row, provider)
                elif item.get("url"):
                    url = await self._ingest_url_input(session, step, item)
                else:
                    continue
                inputs.append(
                    InputMedia(kind=MediaKind(item["kind"]), url=url, slot=item.get("slot"))
                )
        return GenerationRequest(
            model=entry.provider_model,
            mode=Mode(step.mode),
            prompt=doc.get("prompt") or "",
            negative_prompt=doc.get("negative_prompt"),
            params={**doc.get("params", {}), **entry.fixed_params},
            inputs=inputs,
            seed=doc.get("seed"),
            idempotency_key=step.idempotency_key,
        )

    async def _ingest_url_input(
        self, session: AsyncSession, step: StepRow, item: dict[str, Any]
    ) -> str:
        writer = self.artifacts.writer()
        result = await self.media.fetcher.fetch_to(
            item["url"], writer, kinds=[MediaKind(item["kind"])]
        )
        async with self.db.transaction() as tx:
            row = await self.artifacts.record(
                tx,
                owner_id=step.owner_id,
                blob=result.blob,
                head=result.head,
                name=item["url"].rsplit("/", 1)[-1][:100],
                provenance={"source_url": item["url"].split("?", 1)[0]},
            )
        entry = await self.catalog.get(step.model)
        return await self.media.input_url(row, entry.provider)

    # -- submitted → collecting → succeeded ----------------------------------------------
    async def _poll(self, step: StepRow) -> Advance:
        now = time.time()
        if step.next_at is not None and step.next_at > now + 0.001:
            return Advance(next_at=step.next_at)
        task = ProviderTask.model_validate(step.task)
        resolved = await self.hub.resolve(task.provider, step.owner_id)
        interval = _interval(task, resolved.provider.default_poll_interval)
        if task.meta.get("callback"):
            interval = max(interval * CALLBACK_POLL_FACTOR, 30.0)
        try:
            update = await resolved.provider.poll(task, resolved.credential)
        except ReelForgeError as exc:
            if not exc.retryable:
                raise
            delay = exc.retry_after or interval * random.uniform(1.0, 2.0)
            await self._touch(step, next_at=now + delay, event=("step.poll_error", exc.to_dict()))
            return Advance(next_at=now + delay)
        if update.status is TaskStatus.SUCCEEDED:
            return await self._collect(step, task, update, resolved.sandbox)
        if update.status is TaskStatus.FAILED:
            update.raise_for_error()
        if update.status is TaskStatus.CANCELED:
            return await self.finisher.cancel_step(step, provider_canceled=True)
        submitted_at = step.submitted_at.timestamp() if step.submitted_at else now
        if now - submitted_at > STEP_DEADLINE_SECONDS:
            raise ReelForgeError(
                ErrorCode.ENGINE_TIMEOUT,
                "The provider did not finish in time.",
                detail={"task_id": task.task_id, "node": step.node_id},
            )
        next_at = now + max(0.05, update.poll_after_seconds or interval)
        changed = update.progress is not None and update.progress != step.progress
        await self._touch(
            step,
            next_at=next_at,
            progress=update.progress,
            event=("step.progress", {"progress": update.progress, "message": update.message})
            if changed or update.message
            else None,
        )
        return Advance(next_at=next_at)

    async def _touch(
        self,
        step: StepRow,
        *,
        next_at: float,
        progress: float | None = None,
        event: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        from sqlalchemy import update as sql_update

        values: dict[str, Any] = {"next_at": next_at, "polls": StepRow.polls + 1}
        if progress is not None:
            values["progress"] = progress
        async with self.db.transaction() as session:
            await session.execute(
                sql_update(StepRow)
                .where(StepRow.id == step.id, StepRow.status == step.status)
                .values(**values)
            )
            if event is not None:
                await self.events.emit(
                    session, step.run_id, event[0], {"node": step.node_id, **event[1]}, step.id
                )
        if event is not None:
            self.events.notify(step.run_id)

    async def _collect(
        self, step: StepRow, task: ProviderTask, update: TaskUpdate, sandbox: bool
    ) -> Advance:
        async with self.db.transaction() as session:
            moved = await repo.transition(
                session, step.id, StepStatus.SUBMITTED, StepStatus.COLLECTING, progress=1.0
            )
        if not moved:
            return Advance()
        return await self._store_outputs(step, task, update, sandbox)

    async def _collect_again(self, step: StepRow) -> Advance:
        """After a crash during collection: ask the provider again for fresh output URLs."""
        task = ProviderTask.model_validate(step.task)
        resolved = await self.hub.resolve(task.provider, step.owner_id)
        update = await resolved.provider.poll(task, resolved.credential)
        if update.status is not TaskStatus.SUCCEEDED:
            update.raise_for_error()
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "The provider no longer reports the finished task.",
                detail={"task_id": task.task_id},
            )
        return await self._store_outputs(step, task, update, resolved.sandbox)

    async def _store_outputs(
        self, step: StepRow, task: ProviderTask, update: TaskUpdate, sandbox: bool
    ) -> Advance:
        if not update.outputs:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "The provider reported success but returned no output.",
                detail={"task_id": task.task_id},
            )
        async with self.db.session() as session:
            parents = [
                s
                for s in await repo.run_steps(session, step.run_id)
                if s.node_id in step.depends_on
            ]
        if sandbox:
            cost = 0  # emulated work is free
        else:
            cost = update.cost_micros if update.cost_micros is not None else step.quote_micros
        provenance = {
            "model": step.served_by or step.model,
            "provider": task.provider,
            "provider_model": task.model,
            "task_id": task.task_id,
            "mode": step.mode,
            "prompt": step.request.get("prompt"),
            "params": step.request.get("params"),
            "seed": step.request.get("seed"),
            "parents": [a for p in parents for a in p.outputs[:1]],
            "run_id": step.run_id,
            "step_id": step.id,
            "cost_micros": cost,
            "submitted_at": step.submitted_at.isoformat() if step.submitted_at else None,
            "sandbox": sandbox,
        }
        fetched = [await self.media.fetch_output(o, provider=task.provider) for o in update.outputs]
        async with self.db.transaction() as session:
            rows = []
            for index, (output, blob) in enumerate(zip(update.outputs, fetched, strict=True)):
                rows.append(
                    await self.media.record_output(
                        session,
                        output,
                        blob,
                        owner_id=step.owner_id,
                        provider=task.provider,
                        name=f"{step.node_id}-{index}",
                        provenance={**provenance, "finished_at": utcnow().isoformat()},
                        sandbox=sandbox,
                    )
                )
            moved = await repo.transition(
                session,
                step.id,
                StepStatus.COLLECTING,
                StepStatus.SUCCEEDED,
                outputs=[r.id for r in rows],
                cost_micros=cost,
                finished_at=utcnow(),
                next_at=None,
                progress=1.0,
            )
            if not moved:
                raise _LostRace()
            captured = await self.billing.capture(
                session,
                owner_id=step.owner_id,
                run_id=step.run_id,
                step_id=step.id,
                amount_micros=cost,
            )
            await self.events.emit(
                session,
                step.run_id,
                "step.succeeded",
                {"node": step.node_id, "outputs": [r.id for r in rows], "cost_micros": captured},
                step.id,
            )
        self.events.notify(step.run_id)
        return await self.finisher.after_step(step)

    async def _from_cache(self, step: StepRow) -> Advance | None:
        async with self.db.transaction() as session:
            hit = await repo.find_cached(session, step.owner_id, step.cache_key or "")
            if hit is None:
                return None
            moved = await repo.transition(
                session,
                step.id,
                StepStatus.HELD,
                StepStatus.SUCCEEDED,
                outputs=list(hit.outputs),
                cost_micros=0,
                served_by="cache",
                sandbox=hit.sandbox,
                finished_at=utcnow(),
                progress=1.0,
                next_at=None,
            )
            if not moved:
                return Advance()
            await self.events.emit(
                session,
                step.run_id,
                "step.succeeded",
                {
                    "node": step.node_id,
                    "outputs": hit.outputs,
                    "cost_micros": 0,
                    "cached_from": hit.id,
                },
                step.id,
            )
        self.events.notify(step.run_id)
        return await self.finisher.after_step(step)

    async def _fail(self, step: StepRow, exc: ReelForgeError) -> Advance:
        if isinstance(exc, _LostRace):
            return Advance()
        return await self.finisher.fail(step, exc)


def _interval(task: ProviderTask, default: float) -> float:
    """The task's own poll interval when it has one (0 = its result is already in hand)."""
    return default if task.poll_interval_seconds is None else task.poll_interval_seconds


class _LostRace(ReelForgeError):
    def __init__(self) -> None:
        super().__init__(ErrorCode.CONFLICT, "the step moved on elsewhere")
