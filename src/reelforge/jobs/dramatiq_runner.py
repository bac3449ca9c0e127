"""The Dramatiq runner: advancing a step is a Dramatiq actor on Redis or RabbitMQ.

One message = "advance this step once". The actor calls ``Engine.advance`` (the same
function the embedded runner calls), then sends the step's next message itself, with a
broker-side ``delay`` of ``next_at - now`` (delayed messages live in the broker, not in a
worker's heap), sends messages for the children it woke, and delivers the run's webhook
when the run finished. Messages are acknowledged only after the actor returns, so a
worker that dies mid-advance has its messages redelivered; advancing again is harmless
because every transition is a compare-and-set in the database. The schedule book
(``schedule_book``) keeps one live message chain per step.

Event loops. SQLAlchemy's async engine and the shared httpx client belong to the event
loop that created them, and Dramatiq runs actors on plain threads. Each worker process
therefore runs exactly one asyncio loop that owns the container: ``reelforge worker``
builds the container inside ``asyncio.run`` and this runner's ``start`` (called in that
loop) starts the Dramatiq worker threads, which hand each advance to the loop with
``run_coroutine_threadsafe`` and block until it is done. We do not use Dramatiq's AsyncIO
middleware: it starts its own loop thread at worker boot, after which the container would
have to be built lazily inside it and shut down from a middleware hook, and the API node
(which only enqueues) would need a different path. With one loop we own, start, stop and
rescan are ordinary coroutines in both roles. Concurrency per process is the number of
Dramatiq threads (``worker_threads``): each holds one advance in flight on the shared loop.

Roles. ``consume=False`` (``reelforge serve`` with ``runner=dramatiq``) only enqueues and
waits on the database; ``consume=True`` (``reelforge worker``) also runs the worker
threads, rescans unfinished steps on start, and sweeps periodically (with a book) so a
message lost by the broker is replaced.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

import dramatiq
from sqlalchemy.exc import InterfaceError, OperationalError

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine import repo
from reelforge.engine.advance import Advance, Engine
from reelforge.engine.collect import RunEnd
from reelforge.engine.service import CreatedRun
from reelforge.engine.states import RunStatus, StepStatus
from reelforge.jobs.dramatiq_broker import (
    BrokerConfig,
    MetricsBridge,
    is_redis_url,
    make_broker,
    prometheus_middleware,
)
from reelforge.jobs.schedule_book import RECLAIMED, STALE, NullBook, RedisBook, ScheduleBook
from reelforge.logs import get_logger

log = get_logger("reelforge.runner.dramatiq")

ADVANCE_ACTOR = "reelforge.advance_step"
MAX_DELAY_MS = 6 * 24 * 3600 * 1000  # brokers refuse delays of 7 days or more
# Failures of the infrastructure (database or network down), not of the step: the message
# is retried by Dramatiq with backoff instead of failing the step.
INFRA_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

RunFinished = Callable[[str], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class DramatiqConfig:
    broker: BrokerConfig
    queue_name: str = "reelforge"
    worker_threads: int = 8
    worker_idle_ms: int = 1000  # how often an idle consumer looks for due delayed messages
    schedule_url: str | None = None  # Redis for the schedule book; None: no deduplication
    sweep_seconds: float = 30.0
    stale_seconds: float = 120.0
    time_limit_ms: int = 30 * 60 * 1000  # one advance may download a large video
    max_retries: int = 10
    metrics: bool = True
    stop_timeout_ms: int = 30_000


def schedule_url_for(broker_url: str, explicit: str | None) -> str | None:
    if explicit:
        return explicit
    return broker_url if is_redis_url(broker_url) else None


class DramatiqRunner:
    launches = False  # workers in other processes submit, reading the rows

    def __init__(
        self,
        engine: Engine,
        config: DramatiqConfig,
        *,
        consume: bool,
        on_run_finished: RunFinished | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.consume = consume
        self.on_run_finished = on_run_finished
        self._broker: dramatiq.Broker | None = None
        self._actor: dramatiq.Actor[Any, Any] | None = None
        self._book: ScheduleBook | None = None
        self._worker: dramatiq.Worker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._setup_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.prometheus: Any = None
        self.advances = 0  # advances done by this process
        self.stale = 0  # messages dropped because a newer one owns the step

    # -- wiring -------------------------------------------------------------------------
    def _setup(self) -> tuple[dramatiq.Actor[Any, Any], ScheduleBook]:
        if self._actor is not None and self._book is not None:
            return self._actor, self._book  # the common case: no lock per message
        with self._setup_lock:
            if self._actor is None or self._book is None:
                extra = []
                if self.consume and self.config.metrics:
                    self.prometheus = prometheus_middleware()
                    extra.append(self.prometheus)
                self._broker = make_broker(self.config.broker, extra=extra)
                self._actor = dramatiq.Actor(
                    self._on_message,
                    broker=self._broker,
                    actor_name=ADVANCE_ACTOR,
                    queue_name=self.config.queue_name,
                    priority=0,
                    options={
                        "max_retries": self.config.max_retries,
                        "min_backoff": 1000,
                        "max_backoff": 300_000,
                        "time_limit": self.config.time_limit_ms,
                    },
                )
                url = schedule_url_for(self.config.broker.url, self.config.schedule_url)
                self._book = (
                    RedisBook(
                        url, self.config.broker.namespace, stale_seconds=self.config.stale_seconds
                    )
                    if url
                    else NullBook()
                )
            return self._actor, self._book

    def metrics_collector(self) -> MetricsBridge | None:
        return MetricsBridge(self.prometheus) if self.prometheus is not None else None

    # -- Runner interface ---------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.to_thread(self._setup)
        if not self.consume:
            return
        self._loop = asyncio.get_running_loop()
        assert self._broker is not None
        broker = self._broker
        # The ``dramatiq`` command emits this in each worker process; we are that process.
        broker.emit_after("process_boot")
        self._worker = dramatiq.Worker(
            broker,
            queues={self.config.queue_name},
            worker_threads=self.config.worker_threads,
            worker_timeout=self.config.worker_idle_ms,
        )
        await asyncio.to_thread(self._worker.start)
        await self._rescan()
        if isinstance(self._book, RedisBook) and self.config.sweep_seconds > 0:
            self._sweeper = asyncio.create_task(self._sweep())
        log.info("dramatiq_worker_started", threads=self.config.worker_threads)

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        if self._worker is not None:
            # In a thread: the worker threads finish their advances on this very loop.
            await asyncio.to_thread(self._worker.stop, self.config.stop_timeout_ms)
            self._worker = None
        if self._broker is not None:
            await asyncio.to_thread(self._broker.close)
        if self._book is not None:
            await asyncio.to_thread(self._book.close)

    async def enqueue(
        self, step_ids: Iterable[str], at: float | None = None, *, at_provider: bool = False
    ) -> None:
        when = time.time() if at is None else at
        items = [(step_id, when) for step_id in step_ids]
        if items:
            await asyncio.to_thread(self._schedule, items, None)

    async def enqueue_created(self, created: CreatedRun) -> None:
        await self.enqueue(created.ready)  # workers are other processes: they read the rows

    async def wait_run(self, run_id: str, timeout: float, *, new: bool = False) -> RunEnd | bool:
        """Workers are other processes: watch the run's row (quickly at first)."""
        deadline = time.monotonic() + timeout
        pause = 0.02
        while True:
            async with self.engine.db.read() as sql:
                status = await repo.run_status(sql, run_id)
            if status is None or RunStatus(status).terminal:
                return status is not None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(pause, remaining))
            pause = min(pause * 1.5, 0.5)

    # -- sending ------------------------------------------------------------------------
    def _schedule(self, items: list[tuple[str, float]], owner: str | None) -> None:
        actor, book = self._setup()
        now = time.time()
        for step_id, due, token in book.schedule(items, owner=owner):
            delay_ms = int((due - now) * 1000)
            actor.send_with_options(
                args=(step_id, token),
                delay=min(delay_ms, MAX_DELAY_MS) if delay_ms > 0 else None,
            )

    def _send_now(self, step_ids: list[str]) -> None:
        """Wakes go outside the book (token None): a child woken twice starts once (its
        start is a compare-and-set) and the loser's chain ends there, so they need no
        bookkeeping, and there is no window where a booked wake was never sent."""
        actor, _book = self._setup()
        for step_id in step_ids:
            actor.send_with_options(args=(step_id, None))

    # -- the actor (runs on a Dramatiq worker thread) -----------------------------------
    def _on_message(self, step_id: str, token: str | None = None) -> None:
        _actor, book = self._setup()
        loop = self._loop
        if loop is None:
            raise RuntimeError("this process does not consume messages")
        claim = book.claim(step_id, token)
        if claim == STALE:
            with self._count_lock:
                self.stale += 1
            return
        result = asyncio.run_coroutine_threadsafe(self._advance(step_id), loop).result()
        with self._count_lock:
            self.advances += 1
        wake, finished = list(result.wake), result.run_finished
        if claim == RECLAIMED and result.next_at is None and not wake and not finished:
            wake, finished = asyncio.run_coroutine_threadsafe(
                self._follow_up(step_id), loop
            ).result()
        # Children first: if this process dies now, this message comes back and its
        # follow-up finds them still held.
        if wake:
            self._send_now(wake)
        if result.next_at is not None:
            self._schedule([(step_id, result.next_at)], token or "")
        else:
            book.release(step_id, token)
        if finished and self.on_run_finished is not None:
            future = asyncio.run_coroutine_threadsafe(self.on_run_finished(finished), loop)
            try:
                future.result()
            except Exception:
                log.exception("run_finished_hook_failed", run_id=finished)

    async def _follow_up(self, step_id: str) -> tuple[list[str], str | None]:
        """A second delivery found nothing to do: the first may have died after the step's
        end was committed and before its children were woken or the run's webhook sent."""
        async with self.engine.db.read() as sql:
            step = await repo.get_step(sql, step_id)
            run = await repo.get_run(sql, step.run_id) if step is not None else None
        if step is None or run is None or not StepStatus(step.status).terminal:
            return [], None
        wake: list[str] = []
        if step.status == StepStatus.SUCCEEDED.value:
            wake = list((await self.engine.finisher.after_step(step)).wake)
        unsent = run.callback_url and run.webhook_status is None
        finished = run.id if RunStatus(run.status).terminal and unsent else None
        return wake, finished

    async def _advance(self, step_id: str) -> Advance:
        try:
            return await self.engine.advance(step_id)
        except INFRA_ERRORS:
            raise  # Dramatiq retries the message later; the step is not at fault
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

    # -- recovery -----------------------------------------------------------------------
    async def _rescan(self) -> None:
        async with self.engine.db.read() as sql:
            pending = await repo.unfinished_step_ids(sql)
        now = time.time()
        items = [
            (step_id, next_at if next_at is not None else now) for step_id, next_at, _ in pending
        ]
        if items:
            await asyncio.to_thread(self._schedule, items, None)
            log.info("runner_rescan", steps=len(items))

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.config.sweep_seconds)
            try:
                await self._rescan()
            except Exception:
                log.exception("runner_sweep_failed")
