"""Polling many tasks cheaply: a poll with no news writes nothing; news is written with the
polls counted since the last write (engine/polling.py)."""

from __future__ import annotations

from typing import Any

from reelforge.engine.polling import PROGRESS_SECONDS, PROGRESS_STEP, Polling, Watch
from reelforge.providers.base import TaskStatus, TaskUpdate
from reelforge.storage.run_tables import StepRow


class Recorder(Polling):
    def __init__(self) -> None:
        self._watches: dict[str, Watch] = {}
        self.writes: list[dict[str, Any]] = []

    async def _touch(self, step: StepRow, **kw: Any) -> None:  # type: ignore[override]
        self.writes.append(kw)


def running(progress: float | None = None, message: str | None = None) -> TaskUpdate:
    return TaskUpdate(status=TaskStatus.RUNNING, progress=progress, message=message)


async def test_only_news_is_written_and_it_carries_the_quiet_polls() -> None:
    engine, step, resolved = Recorder(), StepRow(id="stp_1", status="submitted"), object()
    now = 1000.0

    async def poll(update: TaskUpdate, at: float) -> None:
        await engine._note_progress(step, resolved, update, at, at + 2)  # type: ignore[arg-type]

    await poll(running(0.10, "rendering"), now)  # first news
    await poll(running(0.10, "rendering"), now + 2)  # the same: quiet
    await poll(running(0.10 + PROGRESS_STEP / 2, "rendering"), now + 3)  # moved a little: quiet
    assert len(engine.writes) == 1
    await poll(running(0.10 + PROGRESS_STEP, "rendering"), now + 4)  # moved enough
    await poll(running(0.10 + PROGRESS_STEP, "encoding"), now + 5)  # a new log line
    assert [w["polls"] for w in engine.writes] == [1, 3, 1]
    assert [w["event"][1]["message"] for w in engine.writes] == [
        "rendering",
        "rendering",
        "encoding",
    ]
    assert step.next_at == now + 7 and step.progress == 0.10 + PROGRESS_STEP


async def test_slow_progress_is_still_written_now_and_then() -> None:
    engine, step = Recorder(), StepRow(id="stp_2", status="submitted")
    await engine._note_progress(step, object(), running(0.5), 0.0, 2.0)  # type: ignore[arg-type]
    await engine._note_progress(step, object(), running(0.51), 1.0, 3.0)  # type: ignore[arg-type]
    assert len(engine.writes) == 1
    later = PROGRESS_SECONDS + 1
    await engine._note_progress(step, object(), running(0.52), later, later + 2)  # type: ignore[arg-type]
    assert len(engine.writes) == 2 and engine.writes[-1]["progress"] == 0.52


async def test_the_watch_keeps_the_row_and_forgetting_it_means_reading_again() -> None:
    engine, step = Recorder(), StepRow(id="stp_3", status="submitted")
    await engine._note_progress(step, object(), running(), 0.0, 2.0)  # type: ignore[arg-type]
    assert engine.writes == [] and engine.watched("stp_3") is step
    assert engine.unwatch("stp_3") == 1  # one poll not yet counted in the row
    assert engine.watched("stp_3") is None
    await engine._note_progress(step, object(), running(), 3.0, 5.0)  # type: ignore[arg-type]
    engine.forget(["stp_3"])
    assert engine.watched("stp_3") is None
