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
