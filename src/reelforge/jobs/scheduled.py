"""Scheduled jobs (a voting period that closes, a purge after 30 days, payouts ...) on the
runner's side of a process: ``reelforge serve`` with the embedded runner and every
``reelforge worker`` (Dramatiq) run a Scheduler; a database lease per job makes one
process run each tick, whichever and however many there are. Nothing relies on a process
staying up: a job is idempotent work on database state ("close what is due by now"), so
a tick lost with a crash is simply done by the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from reelforge.logs import get_logger
from reelforge.storage.db import Database
from reelforge.storage.job_tables import JobLeaseRow
from reelforge.storage.tables import utcnow

log = get_logger("reelforge.scheduled")


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    every_seconds: float
    run: Callable[[datetime], Awaitable[object]]  # given "now"; does what is due by then


class Scheduler:
    def __init__(
        self,
        db: Database,
        jobs: Sequence[ScheduledJob],
        *,
        clock: Callable[[], datetime] = utcnow,
        poll_seconds: float | None = None,
    ) -> None:
        self.db = db
        self.jobs = list(jobs)
        self.clock = clock
        self.holder = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.poll_seconds = poll_seconds or min([j.every_seconds for j in self.jobs] or [5.0])
        self._task: asyncio.Task[None] | None = None
        self.runs: dict[str, int] = {}

    async def take(self, job: ScheduledJob, now: datetime) -> bool:
        """The job's lease until its next tick, if nobody holds it now."""
        until = now + timedelta(seconds=job.every_seconds)
        async with self.db.transaction() as session:
            row = await session.get(JobLeaseRow, job.name)
            if row is None:
                session.add(
                    JobLeaseRow(name=job.name, holder=self.holder, until=until, last_run_at=now)
                )
                return True
            if row.until > now:
                return False
            taken = await session.execute(
                update(JobLeaseRow)
                .where(JobLeaseRow.name == job.name, JobLeaseRow.until == row.until)
                .values(holder=self.holder, until=until, last_run_at=now)
            )
            return bool(getattr(taken, "rowcount", 0))

    async def tick(self, now: datetime | None = None, *, force: bool = False) -> list[str]:
        """Run every job whose lease this process takes (``force``: all, leases aside)."""
        now = now or self.clock()
        ran = []
        for job in self.jobs:
            if not force and not await self.take(job, now):
                continue
            try:
                await job.run(now)
            except Exception:
                log.exception("scheduled_job_failed", job=job.name)
                continue
            self.runs[job.name] = self.runs.get(job.name, 0) + 1
            ran.append(job.name)
        return ran

    async def leases(self) -> dict[str, str]:
        async with self.db.session() as session:
            rows = (await session.scalars(select(JobLeaseRow))).all()
        return {r.name: r.holder for r in rows}

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler_tick_failed")
            await asyncio.sleep(self.poll_seconds)

    async def start(self) -> None:
        if self.jobs and self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
