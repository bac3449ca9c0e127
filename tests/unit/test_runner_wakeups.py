"""The embedded runner wakes one idle worker per step that falls due (not all of them), a
burst of due steps is shared out, and a step scheduled for later runs when it falls due."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from reelforge.engine.collect import Advance
from reelforge.jobs.embedded import EmbeddedRunner


class FakeEngine:
    """Advances take ``seconds`` each; records (step id, when) of every advance."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.advanced: list[tuple[str, float]] = []

    async def advance(self, step_id: str) -> Advance:
        self.advanced.append((step_id, time.time()))
        await asyncio.sleep(self.seconds)
        return Advance()

    def forget(self, _ids: Any) -> None:
        pass


async def started(engine: FakeEngine, workers: int) -> tuple[EmbeddedRunner, list[int]]:
    runner = EmbeddedRunner(engine, concurrency=workers)  # type: ignore[arg-type]
    wakeups = [0]
    real_next = runner._pop_due

    def counting_pop(now: float) -> str | None:
        wakeups[0] += 1  # every look at the heaps: one per wakeup of a worker
        return real_next(now)

    runner._pop_due = counting_pop  # type: ignore[method-assign]
    runner._tasks = [asyncio.create_task(runner._worker(i)) for i in range(workers)]
    runner._tasks.append(asyncio.create_task(runner._clock()))
    await asyncio.sleep(0.05)  # every worker finds nothing and goes idle
    return runner, wakeups


async def test_one_due_step_wakes_one_worker_not_all() -> None:
    engine = FakeEngine()
    runner, wakeups = await started(engine, workers=32)
    assert wakeups[0] == 32 and len(runner._idle) == 32
    wakeups[0] = 0
    await runner.enqueue(["a"])
    await asyncio.sleep(0.05)
    assert [s for s, _ in engine.advanced] == ["a"]
    # The woken worker looked once to take "a" and once more before going idle again.
    assert wakeups[0] <= 3, wakeups[0]
    await runner.stop()


async def test_a_burst_is_shared_out_among_idle_workers() -> None:
    engine = FakeEngine(seconds=0.2)
    runner, _ = await started(engine, workers=8)
    await runner.enqueue([f"s{i}" for i in range(8)])
    await asyncio.sleep(0.15)
    # All eight started at once (each advance takes 0.2 s: one worker at a time would
    # have started only the first by now).
    assert sorted(s for s, _ in engine.advanced) == sorted(f"s{i}" for i in range(8))
    await runner.stop()


async def test_a_later_step_runs_when_it_falls_due() -> None:
    engine = FakeEngine()
    runner, _ = await started(engine, workers=4)
    t0 = time.time()
    await runner.enqueue(["later"], at=t0 + 0.3)
    await runner.enqueue(["sooner"], at=t0 + 0.1)  # earlier than the clock's alarm
    await asyncio.sleep(0.05)
    assert engine.advanced == []
    await asyncio.sleep(0.5)
    order = [s for s, _ in engine.advanced]
    assert order == ["sooner", "later"]
    times = dict(engine.advanced)
    assert times["sooner"] >= t0 + 0.1 and times["later"] >= t0 + 0.3
    await runner.stop()


async def test_due_work_waits_for_a_busy_worker_and_is_not_lost() -> None:
    engine = FakeEngine(seconds=0.1)
    runner, _ = await started(engine, workers=1)
    await runner.enqueue(["first", "second", "third"])
    await asyncio.sleep(0.5)
    assert [s for s, _ in engine.advanced] == ["first", "second", "third"]
    await runner.stop()


async def test_a_new_step_held_back_by_the_start_rate_starts_when_a_start_is_allowed() -> None:
    """The clock's alarm is set for a step due much later; a burst of new steps past the
    start budget must not wait for that alarm, only for the budget."""
    engine = FakeEngine()
    runner = EmbeddedRunner(engine, concurrency=4, start_rate=20.0)  # type: ignore[arg-type]
    runner.starts.burst = runner.starts._tokens = 1.0  # one at once, then one per 50 ms
    runner._tasks = [asyncio.create_task(runner._worker(i)) for i in range(4)]
    runner._tasks.append(asyncio.create_task(runner._clock()))
    try:
        await asyncio.sleep(0.05)
        await runner.enqueue(["much-later"], at=time.time() + 60)  # the clock's alarm
        await asyncio.sleep(0.05)
        t0 = time.time()
        await runner.enqueue(["a", "b", "c"])
        for _ in range(100):
            if len(engine.advanced) == 3:
                break
            await asyncio.sleep(0.01)
        started = {step: at - t0 for step, at in engine.advanced}
        assert set(started) == {"a", "b", "c"}, started
        assert started["c"] < 0.5  # ~0.1 s by the budget, not the 60 s alarm
    finally:
        await runner.stop()
