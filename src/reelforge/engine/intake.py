"""Storing new runs with group commit.

Every accepted run is a run row, its step rows, a ``run.created`` event and (when it
costs anything) a hold on the owner's balance, all in one transaction. Runs that arrive
while a transaction is being written wait and go together in the next one: under load a
commit carries tens of runs for the price of one, and alone a run is written at once
(no timer, nothing waits for company). Each run's hold is placed in its own savepoint, so
a refused hold (INSUFFICIENT_FUNDS) fails only that run; any other error in a batch
replays the batch one run per transaction, so one bad run never fails its neighbours.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table

from reelforge.domain.errors import ReelForgeError
from reelforge.engine.events import EVENTS
from reelforge.engine.ports import RunBilling
from reelforge.logs import get_logger
from reelforge.storage.db import Database
from reelforge.storage.prepared import inserting
from reelforge.storage.run_tables import RunRow, StepRow
from reelforge.storage.sql import Tx

log = get_logger("reelforge.engine.intake")

RUNS = cast(Table, RunRow.__table__)
STEPS = cast(Table, StepRow.__table__)
MAX_BATCH = 200  # runs per transaction: bounds one commit's time under a burst


@dataclass
class NewRun:
    owner_id: str
    run: dict[str, Any]  # the run row's values
    steps: list[dict[str, Any]]
    events: list[dict[str, Any]]
    hold_micros: int
    done: asyncio.Future[None] = field(init=False)


class RunIntake:
    def __init__(self, db: Database, billing: RunBilling) -> None:
        self.db = db
        self.billing = billing
        self._queue: list[NewRun] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # transactions written (for benchmarks and tests)

    async def store(self, new: NewRun) -> None:
        """Return once the run is committed; raise what refused it (nothing is stored)."""
        new.done = asyncio.get_running_loop().create_future()
        self._queue.append(new)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        # Shielded: a caller that goes away (a client disconnect) does not tear a batch.
        await asyncio.shield(new.done)

    async def _drain(self) -> None:
        while self._queue:
            batch: list[NewRun] = []
            try:
                await self._write(batch)
            except Exception as exc:
                if not batch:  # no transaction at all (the database is unavailable)
                    batch, self._queue = self._queue, []
                    for new in batch:
                        _settle(new, exc)
                    continue
                if len(batch) == 1:
                    _settle(batch[0], exc)
                    continue
                log.info("intake_batch_replayed", runs=len(batch), error_type=type(exc).__name__)
                for new in batch:
                    if new.done.done():
                        continue
                    try:
                        await self._write([new])
                    except Exception as one:
                        _settle(new, one)

    async def _write(self, batch: list[NewRun]) -> None:
        """Write ``batch``; an empty list is filled with what is queued once the write lock
        is ours (so everything that queued while waiting for it goes in this commit)."""
        refused: list[tuple[NewRun, ReelForgeError]] = []
        async with self.db.write() as tx:
            if not batch:
                batch.extend(self._queue[:MAX_BATCH])
                del self._queue[:MAX_BATCH]
            pending = [n for n in batch if not n.done.done()]
            accepted = [n for n in pending if await self._hold(tx, n, refused)]
            if accepted:
                runs = [n.run for n in accepted]
                steps = [s for n in accepted for s in n.steps]
                events = [e for n in accepted for e in n.events]
                # Every run of a batch has the same columns (so has every step and event).
                await tx.executemany(inserting(RUNS, runs[0]), runs)
                await tx.executemany(inserting(STEPS, steps[0]), steps)
                if events:
                    await tx.executemany(inserting(EVENTS, events[0]), events)
        self.batches += 1
        for new, exc in refused:
            _settle(new, exc)
        for new in accepted:
            _settle(new, None)

    async def _hold(
        self, tx: Tx, new: NewRun, refused: list[tuple[NewRun, ReelForgeError]]
    ) -> bool:
        if new.hold_micros <= 0:
            return True
        session = await tx.session()
        try:
            async with session.begin_nested():
                await self.billing.hold(
                    session,
                    owner_id=new.owner_id,
                    run_id=new.run["id"],
                    amount_micros=new.hold_micros,
                )
        except ReelForgeError as exc:
            refused.append((new, _unstored(exc)))
            return False
        return True


def _unstored(exc: ReelForgeError) -> ReelForgeError:
    """The refusal of a run that is never stored: it names no run id (there is no such run)."""
    if "run_id" not in exc.detail:
        return exc
    detail = {k: v for k, v in exc.detail.items() if k != "run_id"}
    message = exc.message.replace("This run needs", "Starting this run needs")
    return ReelForgeError(
        exc.code,
        f"{message} The run was not created.",
        detail=detail,
        retryable=exc.retryable,
        retry_after=exc.retry_after,
        remediation=exc.remediation,
    )


def _settle(new: NewRun, exc: BaseException | None) -> None:
    if new.done.done():
        return
    if exc is None:
        new.done.set_result(None)
    else:
        new.done.set_exception(exc)
