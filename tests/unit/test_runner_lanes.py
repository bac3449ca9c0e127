"""The embedded runner's schedule: steps already at a provider (polls, collection) are
served before new work when both are due; an earlier schedule supersedes a later one."""

from __future__ import annotations

from typing import Any

from reelforge.jobs.embedded import IN_FLIGHT, NEW, EmbeddedRunner


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


def test_new_steps_start_at_the_budgeted_rate_and_polls_do_not_wait() -> None:
    engine: Any = object()
    r = EmbeddedRunner(engine, concurrency=1, start_rate=10.0)  # 10 a second, bursts of 2.5
    for i in range(6):
        r._schedule(f"new{i}", 0.0, NEW)
    r._schedule("poll", 0.0, IN_FLIGHT)
    at = 100.0
    assert r._pop_due(at) == "poll"  # at a provider already: never held back
    assert [r._pop_due(at), r._pop_due(at), r._pop_due(at)] == ["new0", "new1", None]
    assert not r._due_now(at)
    # The next start is allowed 0.05 s later (half a token was left), then one per 0.1 s.
    assert r._due_at(NEW, r._heaps[NEW], at) == at + 0.05
    assert r._pop_due(at + 0.05) == "new2"
    assert r._pop_due(at + 0.1) is None
    assert r._pop_due(at + 0.15) == "new3"
    r._schedule("poll2", at, IN_FLIGHT)
    assert r._pop_due(at + 0.16) == "poll2"


def test_without_a_start_rate_nothing_waits() -> None:
    r = runner()
    for i in range(100):
        r._schedule(f"new{i}", 0.0, NEW)
    assert [r._pop_due(1.0) for _ in range(100)] == [f"new{i}" for i in range(100)]
