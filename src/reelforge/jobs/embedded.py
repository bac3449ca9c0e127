"""The embedded runner: an asyncio scheduler inside ``reelforge serve`` / ``reelforge worker``.

A heap of (due time, step id) drives a fixed pool of worker tasks that call
``Engine.advance``. Nothing here is durable on purpose: the database is. On start the
runner rescans every unfinished step, and a periodic sweep picks up steps that another
process changed, so a restart (or a second process) loses nothing.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Iterable

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine import repo
from reelforge.engine.advance import Advance, Engine
from reelforge.engine.collect import RunEnd
from reelforge.engine.service import CreatedRun
from reelforge.engine.states import RunStatus, StepStatus
from reelforge.jobs.pacing import Foreground, Gate, Pacer, StartBudget
from reelforge.logs import get_logger

log = get_logger("reelforge.runner")

IN_FLIGHT, NEW = 0, 1  # scheduling lanes, served in this order


class EmbeddedRunner:
    launches = True  # its workers submit in this process

    def __init__(
        self,
        engine: Engine,
        *,
        concurrency: int = 64,
        start_rate: float | None = None,
        sweep_seconds: float = 5.0,
        on_run_finished: object = None,
        foreground: Foreground | None = None,
    ) -> None:
        self.engine = engine
        self.concurrency = concurrency
        # New steps start at a bounded rate (jobs.pacing.StartBudget); polls never wait.
        self.starts = StartBudget(start_rate)
        # Beside the API (serve), advances give way to requests (jobs.pacing).
        self.gate = Gate(concurrency)
        self.pacer = Pacer(self.gate, concurrency, foreground) if foreground else None
        self.sweep_seconds = sweep_seconds
        self.on_run_finished = on_run_finished
        self._heaps: tuple[list[tuple[float, int, str]], ...] = ([], [])  # IN_FLIGHT, NEW
        self._due: dict[str, tuple[float, int]] = {}  # step id → (earliest time, lane)
        self._running: set[str] = set()
        # Woken while running: advanced once more after, in the lane it was woken in.
        self._again: dict[str, int] = {}
        self._seq = itertools.count()
        # Workers with nothing to do each wait on their own future, and one is woken per
        # step that falls due (a shared event would wake all of them for every step); the
        # clock task sleeps until the earliest step in the heaps is due.
        self._idle: deque[asyncio.Future[None]] = deque()
        self._clock_wake = asyncio.Event()
        self._clock_at = math.inf  # when the clock looks next (inf: when woken)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.advances = 0

    # -- Runner interface ---------------------------------------------------------------
    async def start(self) -> None:
        self._stopping = False
        await self._rescan()
        self._tasks = [asyncio.create_task(self._worker(i)) for i in range(self.concurrency)]
        self._tasks.append(asyncio.create_task(self._clock()))
        self._tasks.append(asyncio.create_task(self._sweeper()))
        if self.pacer is not None:
            self._tasks.append(asyncio.create_task(self.pacer.run()))

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        try:
            returned = await self.engine.return_launches()
        except Exception:
            log.exception("return_launches_failed")  # their leases run out as after a crash
        else:
            if returned:
                log.info("runner_returned_launches", steps=returned)

    async def enqueue(
        self, step_ids: Iterable[str], at: float | None = None, *, at_provider: bool = False
    ) -> None:
        when = time.time() if at is None else at
        step_ids = list(step_ids)
        self.engine.forget(step_ids)  # enqueued from outside: something changed, read again
        for step_id in step_ids:
            self._schedule(step_id, when, IN_FLIGHT if at_provider else NEW)

    async def enqueue_created(self, created: CreatedRun) -> None:
        # Rows in hand: the first advance reads nothing back (nothing else knows the run yet).
        # Launched steps were admitted with their run (leased, a permit held): they are not
        # new work to pace, and should reach their provider before their lease grows old.
        self.engine.hand_over(created.fresh())
        now = time.time()
        for step_id in created.ready:
            self._schedule(step_id, now, IN_FLIGHT if step_id in created.launches else NEW)

    async def wait_run(self, run_id: str, timeout: float, *, new: bool = False) -> RunEnd | bool:
        deadline = time.monotonic() + timeout
        while True:
            if new:
                # Woken when a worker here finishes the run (then there is nothing to read:
                # the notice carries the run as it ended); the status is read at least
                # every second for runs finished elsewhere (a cancel, another process).
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    ended = await self.engine.events.wait_for_end(run_id, min(remaining, 1.0))
                    if ended:
                        return ended if isinstance(ended, RunEnd) else True
            new = True
            async with self.engine.db.read() as sql:
                status = await repo.run_status(sql, run_id)
            if status is None or RunStatus(status).terminal:
                return status is not None
            if deadline - time.monotonic() <= 0:
                return False

    # -- scheduling -----------------------------------------------------------------------
    # Two lanes: steps already at a provider (polls, collection) come before new work when
    # both are due, so a burst of new runs does not delay recording the ones finishing.
    def _schedule(self, step_id: str, when: float, lane: int = NEW) -> None:
        if step_id in self._running:
            self._again[step_id] = min(lane, self._again.get(step_id, lane))
            if when <= time.time():
                return
        current = self._due.get(step_id)
        if current is not None and current[0] <= when:
            return
        self._due[step_id] = (when, lane)
        heapq.heappush(self._heaps[lane], (when, next(self._seq), step_id))
        if when <= time.time():
            self._wake_one()
        elif when < self._clock_at:
            self._clock_wake.set()

    def _wake_one(self) -> None:
        while self._idle:
            waiting = self._idle.popleft()
            if not waiting.done():
                waiting.set_result(None)
                return

    def _due_now(self, now: float) -> bool:
        return any(
            heap and self._due_at(lane, heap, now) <= now for lane, heap in enumerate(self._heaps)
        )

    def _due_at(self, lane: int, heap: list[tuple[float, int, str]], now: float) -> float:
        """When the first step of a lane may go: its time, and for new steps, a start."""
        when = heap[0][0]
        return max(when, now + self.starts.wait()) if lane == NEW and when <= now else when

    def _pop_due(self, now: float) -> str | None:
        for lane, heap in enumerate(self._heaps):
            if lane == NEW and not self.starts.available():
                continue
            while heap:
                when, _, step_id = heap[0]
                if self._due.get(step_id) != (when, lane):
                    heapq.heappop(heap)  # superseded by an earlier schedule
                    continue
                if when > now:
                    break
                heapq.heappop(heap)
                del self._due[step_id]
                if step_id in self._running:
                    self._again[step_id] = min(lane, self._again.get(step_id, lane))
                    continue
                if lane == NEW:
                    self.starts.take()
                return step_id
        return None

    async def _next(self) -> str:
        while True:
            now = time.time()
            step_id = self._pop_due(now)
            if self._clock_at == math.inf or self._held_back_before_alarm(now):
                self._clock_wake.set()  # the clock sets its alarm for what is left
            if step_id is not None:
                if self._idle and self._due_now(now):
                    self._wake_one()  # more is due: the next idle worker takes it
                return step_id
            waiting: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._idle.append(waiting)
            try:
                await waiting
            finally:
                waiting.cancel()  # no-op once woken; a cancelled worker is skipped

    def _held_back_before_alarm(self, now: float) -> bool:
        """New work is due but waits for the start budget, which allows it before the
        clock's alarm (set for later work): the alarm must be brought forward."""
        heap = self._heaps[NEW]
        return bool(heap) and heap[0][0] <= now and now + self.starts.wait() < self._clock_at

    async def _clock(self) -> None:
        """Wake a worker when the earliest scheduled step falls due."""
        while not self._stopping:
            self._clock_wake.clear()
            now = time.time()
            earliest = min(
                (self._due_at(lane, heap, now) for lane, heap in enumerate(self._heaps) if heap),
                default=math.inf,
            )
            timeout: float | None = None
            if earliest <= now:
                # Due already: an idle worker takes it (busy ones take it as they finish);
                # the clock is woken again by a new step or a worker with nothing to do.
                self._wake_one()
                self._clock_at = math.inf
            else:
                self._clock_at = earliest
                timeout = earliest - now if earliest < math.inf else None
            try:
                async with asyncio.timeout(timeout):
                    await self._clock_wake.wait()
            except TimeoutError:
                pass

    async def _worker(self, _index: int) -> None:
        while not self._stopping:
            step_id = await self._next()
            self._running.add(step_id)
            try:
                await self.gate.enter()
                try:
                    result = await self._advance(step_id)
                finally:
                    self.gate.leave()
            finally:
                self._running.discard(step_id)
            self.advances += 1
            if result.next_at is not None:
                self._schedule(step_id, result.next_at, IN_FLIGHT)
            again = self._again.pop(step_id, None)
            if again is not None:
                self._schedule(step_id, time.time(), again)
            for child in result.wake:
                self._schedule(child, time.time())
            if result.run_finished:
                self.engine.events.notify(result.run_finished, final=True, ended=result.ended)
            if result.run_finished and callable(self.on_run_finished):
                try:
                    await self.on_run_finished(result.run_finished)
                except Exception:
                    log.exception("run_finished_hook_failed", run_id=result.run_finished)

    async def _advance(self, step_id: str) -> Advance:
        try:
            return await self.engine.advance(step_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # A bug or an unmapped failure: fail the step clearly rather than loop forever.
            log.exception("advance_crashed", step_id=step_id, error_type=type(exc).__name__)
            async with self.engine.db.read() as sql:
                step = await repo.get_step(sql, step_id)
            if step is None:
                return Advance()
            return await self.engine.finisher.fail(
                step,
                ReelForgeError(
                    ErrorCode.INTERNAL_ERROR,
                    "The step failed unexpectedly.",
                    detail={"node": step.node_id, "error_type": type(exc).__name__},
                ),
            )

    async def _rescan(self) -> None:
        async with self.engine.db.read() as sql:
            pending = await repo.unfinished_step_ids(sql)
        now = time.time()
        for step_id, next_at, status in pending:
            if step_id in self._due or step_id in self._running:
                continue  # known here: its time in memory is newer than the row's next_at
            # Only held steps are new work (paced starts); the rest are already under way.
            lane = NEW if status == StepStatus.HELD.value else IN_FLIGHT
            self._schedule(step_id, next_at if next_at is not None else now, lane)
        if pending:
            log.info("runner_rescan", steps=len(pending))

    async def _sweeper(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.sweep_seconds)
            try:
                await self._rescan()
            except Exception:
                log.exception("runner_sweep_failed")
