"""Progress of many steps goes to the database in one commit (engine/progress.py)."""

from __future__ import annotations

from sqlalchemy import select

from reelforge.container import Container
from reelforge.engine import repo
from reelforge.engine.pipeline import Node, Pipeline
from reelforge.engine.progress import Pending, ProgressWrites
from reelforge.engine.states import StepStatus
from reelforge.storage import identity
from reelforge.storage.run_tables import RunEventRow, StepRow


async def submitted_steps(container: Container, n: int) -> list[StepRow]:
    async with container.db.session() as s:
        owner = await identity.find_owner(s)
    assert owner is not None
    pipeline = Pipeline(
        nodes=[Node(id=f"v{i}", model="fal/wan-t2v", prompt=f"shot {i}") for i in range(n)]
    )
    created = await container.runs.create_run(owner.id, pipeline)
    async with container.db.write() as s:
        for step_id in created.ready:
            for old, new in [
                (StepStatus.HELD, StepStatus.SUBMITTING),
                (StepStatus.SUBMITTING, StepStatus.SUBMITTED),
            ]:
                assert await repo.transition(s, step_id, old, new)
    async with container.db.session() as session:
        return list((await session.execute(select(StepRow).order_by(StepRow.node_id))).scalars())


def news(step: StepRow, progress: float, polls: int = 1) -> Pending:
    return Pending(step.run_id, step.node_id, "submitted", polls, progress, f"{progress:.0%}", 9.0)


async def test_many_steps_progress_lands_in_one_commit(container: Container) -> None:
    steps = await submitted_steps(container, 3)
    writes = ProgressWrites(container.db, container.engine.events)
    writes.add(steps[0].id, news(steps[0], 0.2))
    writes.add(steps[0].id, news(steps[0], 0.4, polls=2))  # the later news wins, polls add up
    writes.add(steps[1].id, news(steps[1], 0.5))
    writes.add(steps[2].id, news(steps[2], 0.9))
    assert writes.drop(steps[2].id) == 1  # the step moved on: its news is not written
    await writes.flush()
    assert writes.flushes == 1
    async with container.db.session() as s:
        rows = {r.id: r for r in (await s.execute(select(StepRow))).scalars()}
        events = (
            await s.execute(select(RunEventRow).where(RunEventRow.type == "step.progress"))
        ).scalars()
        progress_events = sorted((e.step_id, e.data["progress"]) for e in events)
    assert (rows[steps[0].id].progress, rows[steps[0].id].polls) == (0.4, 3)
    assert (rows[steps[1].id].progress, rows[steps[1].id].polls) == (0.5, 1)
    assert rows[steps[2].id].progress is None and rows[steps[2].id].polls == 0
    assert progress_events == sorted([(steps[0].id, 0.4), (steps[1].id, 0.5)])


async def test_news_for_a_step_that_already_moved_on_changes_nothing(
    container: Container,
) -> None:
    (step,) = await submitted_steps(container, 1)
    async with container.db.write() as s:
        await repo.transition(s, step.id, StepStatus.SUBMITTED, StepStatus.COLLECTING)
    writes = ProgressWrites(container.db, container.engine.events)
    writes.add(step.id, news(step, 0.7))
    await writes.flush()
    async with container.db.read() as s:
        row = await repo.get_step(s, step.id)
    assert row is not None and row.status == "collecting" and row.progress is None
