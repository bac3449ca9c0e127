"""Finishing steps and runs: failures skip descendants, the last step settles the run and
releases what is left of its hold, all in the same transaction as the state change."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, case, literal, update

from reelforge.domain.errors import ReelForgeError
from reelforge.engine import repo
from reelforge.engine.collect import Advance, RunEnd
from reelforge.engine.events import EventBus
from reelforge.engine.ports import RunBilling
from reelforge.engine.states import TERMINAL, RunStatus, StepStatus
from reelforge.storage.db import Database
from reelforge.storage.prepared import Prepared
from reelforge.storage.run_tables import RunRow, StepRow
from reelforge.storage.sql import Tx, detached
from reelforge.storage.tables import utcnow

RUNS = cast(Table, RunRow.__table__)
_MARK_RUNNING = Prepared(
    update(RUNS)
    .where(RUNS.c.id == bindparam("_id"), RUNS.c.status == RunStatus.QUEUED.value)
    .values(status=RunStatus.RUNNING.value)
)
_OPEN = [RunStatus.QUEUED.value, RunStatus.RUNNING.value, RunStatus.CANCELING.value]
_SETTLE = Prepared(
    update(RUNS)
    .where(RUNS.c.id == bindparam("_id"), RUNS.c.status.in_([literal(s) for s in _OPEN]))
    .values(
        status=case(
            (RUNS.c.status == RunStatus.CANCELING.value, RunStatus.CANCELED.value),
            else_=bindparam("_final"),
        ),
        cost_micros=bindparam("_cost"),
        finished_at=bindparam("_finished", type_=RUNS.c.finished_at.type),
        error=bindparam("_error", type_=RUNS.c.error.type),
    )
    .returning(*RUNS.columns)
)


class RunFinisher:
    def __init__(self, db: Database, billing: RunBilling, events: EventBus) -> None:
        self.db = db
        self.billing = billing
        self.events = events
        # Runs settled here that name a callback URL: the runner's finished hook sends
        # their webhook (and reads the run only for those).
        self.webhooks_due: set[str] = set()

    async def mark_running(self, tx: Tx, run_id: str) -> None:
        await tx.execute(_MARK_RUNNING, {"_id": run_id})

    async def fail(self, step: StepRow, exc: ReelForgeError) -> Any:
        error = exc.to_dict()
        async with self.db.write() as tx:
            current = await repo.get_step(tx, step.id)
            if current is None or StepStatus(current.status).terminal:
                return Advance()
            moved = await repo.transition(
                tx,
                step.id,
                StepStatus(current.status),
                StepStatus.FAILED,
                error=error,
                finished_at=utcnow(),
                next_at=None,
            )
            if not moved:
                return Advance()
            await self.events.emit(
                tx, step.run_id, "step.failed", {"node": step.node_id, "error": error}, step.id
            )
            await self._skip_descendants(tx, step.run_id, step.node_id)
            finished = await self._settle_run(tx, step.run_id)
        self.events.notify(step.run_id)
        return Advance.settled(finished)

    async def skip(self, step: StepRow, reason: str) -> Any:
        async with self.db.write() as tx:
            moved = await repo.transition(
                tx,
                step.id,
                StepStatus(step.status),
                StepStatus.SKIPPED,
                finished_at=utcnow(),
                next_at=None,
                error={"code": "SKIPPED", "message": reason},
            )
            if not moved:
                return Advance()
            await self.events.emit(
                tx,
                step.run_id,
                "step.skipped",
                {"node": step.node_id, "reason": reason},
                step.id,
            )
            await self._skip_descendants(tx, step.run_id, step.node_id)
            finished = await self._settle_run(tx, step.run_id)
        self.events.notify(step.run_id)
        return Advance.settled(finished)

    async def cancel_step(self, step: StepRow, *, provider_canceled: bool = False) -> Any:
        async with self.db.write() as tx:
            moved = await repo.transition(
                tx,
                step.id,
                StepStatus(step.status),
                StepStatus.CANCELED,
                finished_at=utcnow(),
                next_at=None,
            )
            if not moved:
                return Advance()
            await self.events.emit(
                tx,
                step.run_id,
                "step.canceled",
                {"node": step.node_id, "by_provider": provider_canceled},
                step.id,
            )
            if provider_canceled:
                await self._skip_descendants(tx, step.run_id, step.node_id)
            finished = await self._settle_run(tx, step.run_id)
        self.events.notify(step.run_id)
        return Advance.settled(finished)

    async def after_step(self, step: StepRow) -> Any:
        """A step succeeded: wake its children, or settle the run when it was the last."""
        async with self.db.write() as tx:
            result = await self.after_step_in(tx, step)
        if result.run_finished:
            self.events.notify(step.run_id)
        return result

    async def after_step_in(self, tx: Tx, step: StepRow) -> Any:
        """``after_step`` inside the caller's transaction (the caller notifies)."""
        steps = await repo.run_steps(tx, step.run_id)
        children = [
            s.id
            for s in steps
            if step.node_id in s.depends_on and s.status == StepStatus.HELD.value
        ]
        finished = None
        if all(StepStatus(s.status).terminal for s in steps):
            finished = await self._settle_run(tx, step.run_id, steps)
        return Advance.settled(finished, children)

    async def _skip_descendants(self, tx: Tx, run_id: str, node_id: str) -> None:
        steps = await repo.run_steps(tx, run_id)
        doomed = {node_id}
        changed = True
        while changed:  # transitive closure over depends_on
            changed = False
            for s in steps:
                if s.node_id not in doomed and doomed.intersection(s.depends_on):
                    doomed.add(s.node_id)
                    changed = True
        for s in steps:
            if s.node_id == node_id or s.node_id not in doomed:
                continue
            if StepStatus(s.status) in (StepStatus.HELD, StepStatus.PENDING, StepStatus.QUOTED):
                if await repo.transition(
                    tx,
                    s.id,
                    StepStatus(s.status),
                    StepStatus.SKIPPED,
                    finished_at=utcnow(),
                    next_at=None,
                    error={
                        "code": "SKIPPED",
                        "message": f"upstream step {node_id!r} did not succeed",
                    },
                ):
                    await self.events.emit(
                        tx,
                        run_id,
                        "step.skipped",
                        {"node": s.node_id, "because": node_id},
                        s.id,
                    )

    async def _settle_run(
        self, tx: Tx, run_id: str, steps: list[StepRow] | None = None
    ) -> RunEnd | None:
        """If every step is terminal, set the run's status, cost, and release the hold;
        returns the run as it ended."""
        steps = steps if steps is not None else await repo.run_steps(tx, run_id)
        if not all(StepStatus(s.status) in TERMINAL for s in steps):
            return None
        statuses = {s.status for s in steps}
        if StepStatus.CANCELED.value in statuses:
            final = RunStatus.CANCELED
        elif statuses <= {StepStatus.SUCCEEDED.value}:
            final = RunStatus.SUCCEEDED
        else:
            final = RunStatus.FAILED
        cost = sum(s.cost_micros or 0 for s in steps if s.status == StepStatus.SUCCEEDED.value)
        first_error = next((s.error for s in steps if s.status == StepStatus.FAILED.value), None)
        # One statement decides and reads back: a run being canceled ends canceled whatever
        # its steps say; a run already ended is left alone (no row comes back).
        settled = await tx.fetchone(
            _SETTLE,
            {
                "_id": run_id,
                "_final": final.value,
                "_cost": cost,
                "_finished": utcnow(),
                "_error": first_error,
            },
        )
        if settled is None:
            return None
        run = detached(RunRow, settled)
        owner_id, callback_url = run.owner_id, run.callback_url
        final = RunStatus(run.status)
        released = (
            await self.billing.release(await tx.session(), owner_id=owner_id, run_id=run_id)
            if run.hold_micros
            else 0
        )
        await self.events.emit(
            tx,
            run_id,
            f"run.{final.value}",
            {"status": final.value, "cost_micros": cost, "released_micros": released},
        )
        if callback_url:
            self.webhooks_due.add(run_id)
        return RunEnd(run, steps)
