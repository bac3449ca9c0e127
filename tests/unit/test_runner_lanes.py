"""The embedded runner's schedule: steps already at a provider (polls, collection) are
served before new work when both are due; an earlier schedule supersedes a later one."""

from __future__ import annotations

from typing import Any

from reelforge.jobs.embedded import IN_FLIGHT, NEW, EmbeddedRunner
from reelforge.jobs.pacing import StartBudget


def runner() -> EmbeddedRunner:
    engine: Any = object()  # scheduling never touches the engine
    return EmbeddedRunner(engine, concurrency=1)


def test_due_in_flight_work_comes_before_due_new_work() -> None:
    r = runner()
    r._schedule("new-early", 1.0, NEW)
    r._schedule("poll-later", 2.0, IN_FLIGHT)
    r._schedule("poll-not-due", 9.0, IN_FLIGHT)
    assert [r._pop_due(3.0), r._pop_due(3.0), r._pop_due(3.0)] == [
        "poll-later",
        "new-early",
        None,
    ]
    assert r._pop_due(10.0) == "poll-not-due"


def test_an_earlier_schedule_supersedes_and_a_later_one_is_ignored() -> None:
    r = runner()
    r._schedule("s", 5.0, IN_FLIGHT)
    r._schedule("s", 8.0, NEW)  # later: ignored
    r._schedule("s", 1.0, NEW)  # earlier: wins, in its own lane
    assert r._pop_due(2.0) == "s"
    assert r._pop_due(100.0) is None  # the superseded entries are gone


def test_a_step_being_advanced_is_advanced_again_rather_than_twice_at_once() -> None:
    r = runner()
    r._running.add("busy")
    r._schedule("busy", 0.0, NEW)
    assert r._pop_due(1.0) is None and "busy" in r._again


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_new_steps_start_at_the_budgeted_rate_and_polls_do_not_wait() -> None:
    engine: Any = object()
    r = EmbeddedRunner(engine, concurrency=1, start_rate=10.0)  # 10 a second, bursts of 2.5
    clock = Clock()
    r.starts = StartBudget(10.0, clock=clock)
    for i in range(6):
        r._schedule(f"new{i}", 0.0, NEW)
    r._schedule("poll", 0.0, IN_FLIGHT)
    at = 100.0  # the schedule's (wall) clock; the budget keeps its own
    assert r._pop_due(at) == "poll"  # at a provider already: never held back
    assert [r._pop_due(at), r._pop_due(at), r._pop_due(at)] == ["new0", "new1", None]
    assert not r._due_now(at)
    # The next start is allowed 0.05 s later (half a token was left), then one per 0.1 s.
    assert abs(r._due_at(NEW, r._heaps[NEW], at) - (at + 0.05)) < 1e-9
    clock.now += 0.05
    assert r._pop_due(at) == "new2"
    clock.now += 0.05
    assert r._pop_due(at) is None
    clock.now += 0.05
    assert r._pop_due(at) == "new3"
    r._schedule("poll2", at, IN_FLIGHT)
    assert r._pop_due(at) == "poll2"


def test_the_wall_clock_stepped_back_does_not_stop_starts() -> None:
    engine: Any = object()
    r = EmbeddedRunner(engine, concurrency=1)
    clock = Clock()
    r.starts = StartBudget(10.0, burst=1.0, clock=clock)
    for i in range(3):
        r._schedule(f"new{i}", 0.0, NEW)
    assert r._pop_due(5000.0) == "new0"
    assert r._pop_due(5000.0) is None
    clock.now += 0.1  # a tenth of a second later, by a clock that only moves forward
    assert r._pop_due(5000.0 - 3600) == "new1"  # while the wall clock went back an hour


def test_without_a_start_rate_nothing_waits() -> None:
    r = runner()
    for i in range(100):
        r._schedule(f"new{i}", 0.0, NEW)
    assert [r._pop_due(1.0) for _ in range(100)] == [f"new{i}" for i in range(100)]


async def test_steps_under_way_at_a_provider_are_not_new_work() -> None:
    class Engine:
        def forget(self, _ids: Any) -> None:
            pass

    r = EmbeddedRunner(Engine(), concurrency=1, start_rate=1.0)  # type: ignore[arg-type]
    await r.enqueue(["callback"], at_provider=True)
    await r.enqueue(["child"])
    assert r._due["callback"][1] == IN_FLIGHT and r._due["child"][1] == NEW


def test_a_step_woken_while_running_keeps_the_lane_it_was_woken_in() -> None:
    r = runner()
    r._running.add("polled")
    r._schedule("polled", 0.0, IN_FLIGHT)  # a callback while it was being polled
    r._schedule("polled", 0.0, NEW)
    assert r._again == {"polled": IN_FLIGHT}
