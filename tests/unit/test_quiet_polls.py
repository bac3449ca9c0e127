"""Polling many tasks cheaply (engine/polling.py): a poll with no news writes nothing; news
is queued with the polls counted since the last write; steady progress lets polls skip
ahead to shortly before the predicted end."""

from __future__ import annotations

from typing import Any

from reelforge.engine.polling import PROGRESS_SECONDS, PROGRESS_STEP, Polling, Watch
from reelforge.engine.progress import Pending
from reelforge.providers.base import TaskStatus, TaskUpdate
from reelforge.storage.run_tables import StepRow


class Queue:
    def __init__(self) -> None:
        self.added: list[Pending] = []
        self.pending: dict[str, int] = {}

    def add(self, step_id: str, news: Pending) -> None:
        self.added.append(news)
        self.pending[step_id] = self.pending.get(step_id, 0) + news.polls

    def drop(self, step_id: str) -> int:
        return self.pending.pop(step_id, 0)


class Recorder(Polling):
    def __init__(self) -> None:
        self._watches: dict[str, Watch] = {}
        self._fresh: dict[str, Any] = {}
        self._progress: Any = Queue()

    @property
    def writes(self) -> list[Pending]:
        return list(self._progress.added)


def running(progress: float | None = None, message: str | None = None) -> TaskUpdate:
    return TaskUpdate(status=TaskStatus.RUNNING, progress=progress, message=message)


def step(step_id: str) -> StepRow:
    return StepRow(id=step_id, run_id="run_1", node_id="n", status="submitted")


async def test_only_news_is_queued_and_it_carries_the_quiet_polls() -> None:
    engine, row = Recorder(), step("stp_1")

    async def poll(update: TaskUpdate, at: float) -> float:
        return await engine._note_progress(row, object(), update, at, 2.0)  # type: ignore[arg-type]

    await poll(running(0.10, "10%"), 100.0)  # first news
    await poll(running(0.10, "10%"), 102.0)  # the same: quiet
    await poll(running(0.10 + PROGRESS_STEP / 2, "12%"), 103.0)  # moved a little: quiet
    assert len(engine.writes) == 1
    await poll(running(0.10 + PROGRESS_STEP, "15%"), 104.0)  # moved enough
    assert [w.polls for w in engine.writes] == [1, 3]
    assert engine.writes[-1].progress == 0.10 + PROGRESS_STEP
    assert engine.writes[-1].message == "15%" and row.progress == 0.10 + PROGRESS_STEP


async def test_without_a_progress_figure_a_new_log_line_is_the_news() -> None:
    engine, row = Recorder(), step("stp_2")
    for at, line in [(0.0, "queued: 3"), (2.0, "queued: 3"), (4.0, "queued: 2")]:
        await engine._note_progress(row, object(), running(None, line), at, 2.0)  # type: ignore[arg-type]
    assert [w.message for w in engine.writes] == ["queued: 3", "queued: 2"]


async def test_slow_progress_is_still_written_now_and_then() -> None:
    engine, row = Recorder(), step("stp_3")
    await engine._note_progress(row, object(), running(0.5), 0.0, 2.0)  # type: ignore[arg-type]
    await engine._note_progress(row, object(), running(0.51), 1.0, 2.0)  # type: ignore[arg-type]
    assert len(engine.writes) == 1
    later = PROGRESS_SECONDS + 1
    await engine._note_progress(row, object(), running(0.52), later, 2.0)  # type: ignore[arg-type]
    assert len(engine.writes) == 2 and engine.writes[-1].progress == 0.52


async def poll_at(engine: Recorder, row: StepRow, progress: float, at: float) -> float:
    return await engine._note_progress(row, object(), running(progress), at, 2.0)  # type: ignore[arg-type]


async def test_steady_progress_skips_polls_to_shortly_before_the_end() -> None:
    engine, row = Recorder(), step("stp_4")
    # 1% a second, reported in whole percents: it ends at t=100.
    assert await poll_at(engine, row, 0.02, 2.0) == 4.0  # one figure: no rate yet
    assert await poll_at(engine, row, 0.04, 4.0) == 6.0  # a rate over 2 s: skip 2 s at most
    # Over 16 s from the first figure the fastest rate the reports allow (rises of 2%) is
    # 1.125 %/s and the soonest end t=~89: the skip is capped by the 16 s observed.
    assert await poll_at(engine, row, 0.18, 18.0) == 34.0
    later = await poll_at(engine, row, 0.60, 60.0)
    assert 60.0 < later <= 100.0  # never past the soonest end
    # Near the end: every interval again, so the end is seen within one interval.
    assert await poll_at(engine, row, 0.97, 97.0) == 99.0


async def test_coarse_progress_never_postpones_a_poll_past_the_end() -> None:
    """A 120 s task reporting whole percents: two figures 2 s apart (5%, then 6%) looked
    like 0.5 %/s and postponed the next poll by 120 s, past the end. Whatever the phase of
    the reports, every poll lands before the end or within one interval after it."""
    for offset in (0.0, 0.3, 0.7, 1.1, 1.6):
        engine, row = Recorder(), step(f"stp_c{offset}")
        at, end = 6.0 + offset, 121.0
        while at < end:
            progress = int(max(0.0, at - 1.0) / 120 * 100) / 100
            at = await poll_at(engine, row, progress, at)
        assert at - end <= 2.0, (offset, at)


async def test_the_watch_keeps_the_row_and_unwatching_counts_pending_polls() -> None:
    engine, row = Recorder(), step("stp_5")
    await engine._note_progress(row, object(), running(), 0.0, 2.0)  # type: ignore[arg-type]
    assert engine.writes == [] and engine.watched("stp_5") is row
    await engine._note_progress(row, object(), running(0.3), 2.0, 2.0)  # type: ignore[arg-type]
    # Two polls: both counted once the step moves on (one was queued with the news).
    assert engine.unwatch("stp_5") == 2
    assert engine.watched("stp_5") is None
    await engine._note_progress(row, object(), running(), 3.0, 2.0)  # type: ignore[arg-type]
    engine.forget(["stp_5"])
    assert engine.watched("stp_5") is None
