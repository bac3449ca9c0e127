"""Group commit for small write transactions.

Under load many steps move at once (a worker with thousands of tasks in flight submits,
and later collects, tens of steps a second), each move a transaction of two or three
statements. A commit, and the session and the write lock around it, cost more than those
statements. Here a transaction that arrives while another is being written waits and goes
with the others in the next one; alone, it is written at once (no timer, nothing waits
for company).

Each piece of work is a function of the transaction (``storage.sql.Tx``) that must not
do outside I/O (it runs
while the write lock is held) and must be safe to run again: when one piece raises, the
batch is rolled back and every piece is replayed in a transaction of its own, so one
failure (a lost compare-and-set, say) never fails its neighbours and nothing half-written
is ever committed. A caller gets its result, or its own exception, once its work is
committed (or rolled back).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from reelforge.storage.db import Database
from reelforge.storage.sql import Tx

T = TypeVar("T")
Work = Callable[[Tx], Awaitable[Any]]

MAX_BATCH = 100  # pieces per transaction: bounds how long one commit holds the lock


class GroupCommit:
    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # transactions written (for benchmarks and tests)

    async def run(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((work, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        # Shielded: a caller that is cancelled does not tear a batch (its work still lands).
        return await asyncio.shield(done)

    async def _drain(self) -> None:
        while self._queue:
            batch: list[tuple[Work, asyncio.Future[Any]]] = []
            try:
                results = await self._write(batch)
            except Exception as exc:
                if not batch:  # no transaction at all: the database is unavailable
                    batch, self._queue = self._queue, []
                    for _work, done in batch:
                        _settle(done, exc=exc)
                    continue
                if len(batch) == 1:
                    _settle(batch[0][1], exc=exc)
                    continue
                for work, done in batch:  # one bad piece never fails its neighbours
                    try:
                        (result,) = await self._write([(work, done)])
                    except Exception as one:
                        _settle(done, exc=one)
                    else:
                        _settle(done, result)
                continue
            for (_work, done), result in zip(batch, results, strict=True):
                _settle(done, result)

    async def _write(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> list[Any]:
        """Run ``batch`` in one transaction; an empty list is filled with what is queued
        once the write lock is ours (so all that queued while waiting goes together)."""
        async with self.db.write() as tx:
            if not batch:
                batch.extend(self._queue[: self.max_batch])
                del self._queue[: self.max_batch]
            results = [await work(tx) for work, _done in batch]
        self.batches += 1
        return results


def _settle(
    done: asyncio.Future[Any], result: Any = None, *, exc: BaseException | None = None
) -> None:
    if done.done():
        return
    if exc is not None:
        done.set_exception(exc)
    else:
        done.set_result(result)
