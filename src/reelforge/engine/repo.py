"""Database access for runs and steps. Transitions are compare-and-set on the status."""

from __future__ import annotations

from itertools import pairwise
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.engine.states import TERMINAL, StepStatus, can_move
from reelforge.storage.run_tables import RunRow, StepRow

STEPS = cast(Table, StepRow.__table__)


async def transition(
    session: AsyncSession,
    step_id: str,
    old: StepStatus,
    new: StepStatus,
    *,
    add_polls: int = 0,
    via: StepStatus | None = None,
    **values: Any,
) -> bool:
    """Move a step from ``old`` to ``new`` (with extra column values) iff it is still ``old``.

    ``via`` names a state passed through in the same transaction (submitted → collecting →
    succeeded when the outputs are already stored): both moves are checked, and one
    statement makes them, since no reader could ever see the state in between."""
    path = (old, new) if via is None else (old, via, new)
    if not all(can_move(a, b) for a, b in pairwise(path)):
        raise ValueError(f"illegal step transition {' → '.join(path)}")
    params = {"_id": step_id, "_old": old.value, "_new": new.value, "_polls": add_polls}
    params.update(values)
    conn = await session.connection()
    result = await conn.execute(_transition_statement(tuple(sorted(values))), params)
    return getattr(result, "rowcount", 0) == 1


# One statement per set of columns a transition writes, built once: every step's every
# move runs one, and building and hashing a fresh statement costs more than running it.
_TRANSITIONS: dict[tuple[str, ...], Update] = {}


def _transition_statement(columns: tuple[str, ...]) -> Update:
    stmt = _TRANSITIONS.get(columns)
    if stmt is None:
        stmt = (
            update(STEPS)
            .where(STEPS.c.id == bindparam("_id"), STEPS.c.status == bindparam("_old"))
            .values(
                status=bindparam("_new"),
                version=STEPS.c.version + 1,
                polls=STEPS.c.polls + bindparam("_polls"),
                **{c: bindparam(c, type_=STEPS.c[c].type) for c in columns},
            )
        )
        _TRANSITIONS[columns] = stmt
    return stmt


async def get_step(session: AsyncSession, step_id: str) -> StepRow | None:
    return await session.get(StepRow, step_id, populate_existing=True)


async def get_run(session: AsyncSession, run_id: str) -> RunRow | None:
    return await session.get(RunRow, run_id, populate_existing=True)


async def run_steps(session: AsyncSession, run_id: str) -> list[StepRow]:
    stmt = (
        select(StepRow)
        .where(StepRow.run_id == run_id)
        .order_by(StepRow.position)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def unfinished_step_ids(
    session: AsyncSession, limit: int = 100_000
) -> list[tuple[str, float | None]]:
    """Every step that is not terminal (for a runner's rescan on start)."""
    stmt = (
        select(StepRow.id, StepRow.next_at)
        .where(StepRow.status.not_in([s.value for s in TERMINAL]))
        .order_by(StepRow.next_at)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def find_cached(session: AsyncSession, owner_id: str, cache_key: str) -> StepRow | None:
    stmt = (
        select(StepRow)
        .where(
            StepRow.owner_id == owner_id,
            StepRow.cache_key == cache_key,
            StepRow.status == StepStatus.SUCCEEDED.value,
        )
        .order_by(StepRow.finished_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
