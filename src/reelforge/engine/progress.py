"""Progress of many steps, written together.

Progress is news for people watching a run, not state the engine depends on, so it need
not cost a transaction per poll: updates wait up to ``FLUSH_SECONDS`` and go in one
commit (one UPDATE and one INSERT, each over many rows). A step that moves on drops its
pending update first (``drop``), so a run's events never show progress after its step's
end. A flush that fails is logged and forgotten: the next update carries the same fields.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, update

from reelforge.engine.events import INSERT_EVENT, EventBus
from reelforge.engine.repo import STEPS
from reelforge.logs import get_logger
from reelforge.storage.db import Database
from reelforge.storage.prepared import Prepared
from reelforge.storage.tables import utcnow

log = get_logger("reelforge.engine")

FLUSH_SECONDS = 0.25

# A step's poll bookkeeping: polls counted, progress, next poll time (if still ``_status``).
NOTE_POLLS = Prepared(
    update(STEPS)
    .where(STEPS.c.id == bindparam("_id"), STEPS.c.status == bindparam("_status"))
    .values(
        polls=STEPS.c.polls + bindparam("_polls"),
        progress=bindparam("_progress"),
        next_at=bindparam("_next_at"),
    )
)


@dataclass
class Pending:
    run_id: str
    node_id: str
    status: str
    polls: int
    progress: float | None
    message: str | None
    next_at: float


class ProgressWrites:
    def __init__(self, db: Database, events: EventBus) -> None:
        self.db = db
        self.events = events
        self._pending: dict[str, Pending] = {}
        self._flusher: asyncio.Task[None] | None = None
        self.flushes = 0

    def add(self, step_id: str, news: Pending) -> None:
        earlier = self._pending.get(step_id)
        if earlier is not None:
            news.polls += earlier.polls
        self._pending[step_id] = news
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    def drop(self, step_id: str) -> int:
        """Forget the step's pending update; returns the polls it carried."""
        pending = self._pending.pop(step_id, None)
        return pending.polls if pending is not None else 0

    async def flush(self) -> None:
        batch, self._pending = self._pending, {}
        if not batch:
            return
        now = utcnow()
        try:
            async with self.db.write() as tx:
                await tx.executemany(NOTE_POLLS, [_row(step_id, p) for step_id, p in batch.items()])
                await tx.executemany(INSERT_EVENT, [_event(s, p, now) for s, p in batch.items()])
        except Exception:
            log.exception("progress_flush_failed", steps=len(batch))
            return
        self.flushes += 1
        for run_id in {p.run_id for p in batch.values()}:
            self.events.notify(run_id)

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()


def _row(step_id: str, p: Pending) -> dict[str, Any]:
    return {
        "_id": step_id,
        "_status": p.status,
        "_polls": p.polls,
        "_progress": p.progress,
        "_next_at": p.next_at,
    }


def _event(step_id: str, p: Pending, now: Any) -> dict[str, Any]:
    return {
        "run_id": p.run_id,
        "step_id": step_id,
        "type": "step.progress",
        "data": {"node": p.node_id, "progress": p.progress, "message": p.message},
        "created_at": now,
    }
