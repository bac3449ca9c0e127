"""Run events: stored in the database (so every API node can stream them) and announced
in-process (so a listener in the same process hears at once instead of at its next poll)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select

from reelforge.storage.prepared import Prepared
from reelforge.storage.run_tables import RunEventRow
from reelforge.storage.sql import Reader, Tx, detached
from reelforge.storage.tables import utcnow

EVENTS = cast(Table, RunEventRow.__table__)
EVENT_COLUMNS = ("run_id", "step_id", "type", "data", "created_at")
INSERT_EVENT = Prepared(insert(EVENTS).values({c: bindparam(c) for c in EVENT_COLUMNS}))
_SINCE = Prepared(
    select(EVENTS)
    .where(EVENTS.c.run_id == bindparam("_run"), EVENTS.c.id > bindparam("_after"))
    .order_by(EVENTS.c.id)
    .limit(bindparam("_limit"))
)


class _Waiter:
    __slots__ = ("ended", "event", "final_only")

    def __init__(self, final_only: bool) -> None:
        self.event = asyncio.Event()
        self.final_only = final_only
        self.ended: Any = None  # how the run ended, when the notice carried it


class EventBus:
    def __init__(self) -> None:
        # run id → waiters (some want only the run's end)
        self._waiters: dict[str, set[_Waiter]] = defaultdict(set)

    async def emit(
        self,
        tx: Tx,
        run_id: str,
        type_: str,
        data: dict[str, Any] | None = None,
        step_id: str | None = None,
    ) -> None:
        """Add an event inside the caller's transaction; call ``notify`` after commit."""
        await tx.execute(
            INSERT_EVENT,
            {
                "run_id": run_id,
                "step_id": step_id,
                "type": type_,
                "data": data or {},
                "created_at": utcnow(),
            },
        )

    def notify(self, run_id: str, *, final: bool = False, ended: Any = None) -> None:
        """Wake this process's listeners for ``run_id``; ``final`` when the run has ended
        (listeners waiting only for the end sleep through the rest), ``ended``: the run as
        it ended (engine.collect.RunEnd), handed to those waiting for the end."""
        for waiter in list(self._waiters.get(run_id, ())):
            if final or not waiter.final_only:
                if final and ended is not None:
                    waiter.ended = ended
                waiter.event.set()

    async def wait(self, run_id: str, timeout: float, *, final_only: bool = False) -> bool:
        """Return True when ``run_id`` has news in this process (with ``final_only``: when
        it ended), False after ``timeout`` seconds (news from other processes is found by
        the caller's next read)."""
        return bool(await self._wait(run_id, timeout, final_only))

    async def wait_for_end(self, run_id: str, timeout: float) -> Any:
        """The run's end as the notice carried it (engine.collect.RunEnd), True when the
        notice carried none, False after ``timeout`` seconds."""
        return await self._wait(run_id, timeout, True)

    async def _wait(self, run_id: str, timeout: float, final_only: bool) -> Any:
        waiter = _Waiter(final_only)
        self._waiters[run_id].add(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter.event.wait()
            return waiter.ended or True
        except TimeoutError:
            return False
        finally:
            self._waiters[run_id].discard(waiter)
            if not self._waiters[run_id]:
                self._waiters.pop(run_id, None)

    @staticmethod
    async def since(sql: Reader, run_id: str, after_id: int, limit: int = 500) -> list[RunEventRow]:
        rows = await sql.fetch(_SINCE, {"_run": run_id, "_after": after_id, "_limit": limit})
        return [detached(RunEventRow, r) for r in rows]
