"""Step moves are compare-and-set; a state passed through in one transaction is one UPDATE."""

from __future__ import annotations

import pytest

from reelforge.container import Container
from reelforge.engine import repo
from reelforge.engine.states import StepStatus
from tests.integration.test_progress_writes import submitted_steps


async def test_collecting_passed_through_in_one_statement(container: Container) -> None:
    (step,) = await submitted_steps(container, 1)
    async with container.db.write() as s:
        moved = await repo.transition(
            s,
            step.id,
            StepStatus.SUBMITTED,
            StepStatus.SUCCEEDED,
            via=StepStatus.COLLECTING,
            add_polls=2,
            progress=1.0,
        )
    assert moved
    async with container.db.read() as s:
        row = await repo.get_step(s, step.id)
    assert row is not None
    assert (row.status, row.version, row.polls) == ("succeeded", step.version + 1, 2)
    # The compare-and-set still holds: the step is no longer submitted.
    async with container.db.write() as s:
        again = await repo.transition(
            s, step.id, StepStatus.SUBMITTED, StepStatus.SUCCEEDED, via=StepStatus.COLLECTING
        )
    assert not again


async def test_every_leg_of_a_pass_through_must_be_allowed(container: Container) -> None:
    (step,) = await submitted_steps(container, 1)
    async with container.db.write() as s:
        with pytest.raises(ValueError, match="held → collecting → succeeded"):
            await repo.transition(
                s, step.id, StepStatus.HELD, StepStatus.SUCCEEDED, via=StepStatus.COLLECTING
            )
        with pytest.raises(ValueError, match="submitted → succeeded"):
            await repo.transition(s, step.id, StepStatus.SUBMITTED, StepStatus.SUCCEEDED)
    async with container.db.read() as s:
        row = await repo.get_step(s, step.id)
    assert row is not None and (row.status, row.version) == ("submitted", step.version)
