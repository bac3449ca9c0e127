"""Pacing the embedded runner: beside the API in one process, and in how fast it starts.

``reelforge serve`` answers requests and advances steps on one event loop. Advancing a step
costs more CPU than accepting one, so under a burst of requests the runner would take most
of the loop and every answer would wait. The pacer gives the API the first call: while
requests are arriving and the process is using its CPU to the full, the number of advances
allowed at once shrinks (multiplicatively); when the CPU has room or no request came in,
it grows back (and with no requests at all, at once). Steps waiting on providers cost no
CPU, so I/O-bound work is never held back by it. ``reelforge worker`` (no API) is unpaced.

``StartBudget`` paces starts: tasks that start together end together (a batch of video
tasks started within a second finishes within a second, minutes later), and finishing
one (its last poll, the result, the download, the commit) costs a few milliseconds of CPU.
Started faster than the process can finish them, a backlog of thousands would be recorded
seconds late. So new steps start at a bounded rate (``runner_start_rate``); polls of steps
already at a provider are never held back by it.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable

TICK_SECONDS = 0.05
BUSY = 0.85  # share of one CPU this process used in a tick: above it, the loop is full
ROOMY = 0.6
DECREASE = 0.7


class StartBudget:
    """At most ``rate`` starts a second, with bursts of up to ``burst`` (a token bucket on
    a monotonic clock: a wall clock stepped back would stop it); ``rate`` None: unbounded."""

    def __init__(
        self,
        rate: float | None,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else (rate or 0) / 4)
        self._clock = clock
        self._tokens = self.burst
        self._at = clock()

    def _refill(self) -> None:
        if self.rate is None:
            return
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = now

    def available(self) -> bool:
        self._refill()
        return self.rate is None or self._tokens >= 1.0 - 1e-9  # (float refills)

    def take(self) -> None:
        self._refill()
        if self.rate is not None:
            self._tokens -= 1.0

    def wait(self) -> float:
        """Seconds until the next start is allowed (0: now)."""
        if self.available():
            return 0.0
        assert self.rate is not None
        return (1.0 - self._tokens) / self.rate


class Foreground:
    """API requests, counted by the middleware: how many began, how many are in flight."""

    def __init__(self) -> None:
        self.requests = 0
        self.in_flight = 0

    def started(self) -> None:
        self.requests += 1
        self.in_flight += 1

    def finished(self) -> None:
        self.in_flight -= 1


class Gate:
    """A semaphore whose size can change while tasks wait on it."""

    def __init__(self, limit: int) -> None:
        self.limit = float(limit)
        self.active = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def enter(self) -> None:
        while self.active >= max(1, int(self.limit)):
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise
        self.active += 1

    def leave(self) -> None:
        self.active -= 1
        self._wake()

    def set_limit(self, limit: float) -> None:
        self.limit = limit
        self._wake()

    def _wake(self) -> None:
        room = max(1, int(self.limit)) - self.active
        while room > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                room -= 1


class Pacer:
    def __init__(self, gate: Gate, ceiling: int, foreground: Foreground, *, floor: int = 2) -> None:
        self.gate = gate
        self.ceiling = ceiling
        self.floor = min(floor, ceiling)
        self.foreground = foreground
        self.busy = 0.0  # CPU share used in the last tick

    async def run(self) -> None:
        seen = self.foreground.requests
        while True:
            wall, cpu = time.monotonic(), time.process_time()
            await asyncio.sleep(TICK_SECONDS)
            self.busy = (time.process_time() - cpu) / max(1e-6, time.monotonic() - wall)
            began, seen = self.foreground.requests - seen, self.foreground.requests
            wanted = began > 0 or self.foreground.in_flight > 0
            self.gate.set_limit(self.next_limit(self.gate.limit, self.busy, wanted))

    def next_limit(self, limit: float, busy: float, requests: bool) -> float:
        if not requests:
            return float(self.ceiling)
        if busy > BUSY:
            return max(float(self.floor), limit * DECREASE)
        if busy < ROOMY:
            return min(float(self.ceiling), limit + 1.0)
        return limit
