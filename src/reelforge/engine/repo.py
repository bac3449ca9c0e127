"""Database access for runs and steps. Transitions are compare-and-set on the status.

Every statement here is prepared (``storage.prepared``): a run's steps move through these
thousands of times a second under load, so they run on the driver as they are.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any, cast

from sqlalchemy import Table, bindparam, literal, select, update

from reelforge.engine.states import TERMINAL, StepStatus, can_move
from reelforge.storage.prepared import Prepared
from reelforge.storage.run_tables import RunRow, StepRow
from reelforge.storage.sql import Reader, Tx, detached

STEPS = cast(Table, StepRow.__table__)
RUNS = cast(Table, RunRow.__table__)


async def transition(
    tx: Tx,
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
    return await tx.execute(_transition_statement(tuple(sorted(values))), params) == 1


# One statement per set of columns a transition writes, prepared once.
_TRANSITIONS: dict[tuple[str, ...], Prepared] = {}


def _transition_statement(columns: tuple[str, ...]) -> Prepared:
    stmt = _TRANSITIONS.get(columns)
    if stmt is None:
        stmt = Prepared(
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


_STEP = Prepared(select(STEPS).where(STEPS.c.id == bindparam("_id")))
_RUN = Prepared(select(RUNS).where(RUNS.c.id == bindparam("_id")))
_RUN_STATUS = Prepared(select(RUNS.c.status).where(RUNS.c.id == bindparam("_id")))
_RUN_STEPS = Prepared(
    select(STEPS).where(STEPS.c.run_id == bindparam("_run")).order_by(STEPS.c.position)
)
_UNFINISHED = Prepared(
    select(STEPS.c.id, STEPS.c.next_at, STEPS.c.status)
    .where(STEPS.c.status.not_in([literal(s.value) for s in TERMINAL]))
    .order_by(STEPS.c.next_at)
    .limit(bindparam("_limit"))
)
_CACHED = Prepared(
    select(STEPS)
    .where(
        STEPS.c.owner_id == bindparam("_owner"),
        STEPS.c.cache_key == bindparam("_key"),
        STEPS.c.status == StepStatus.SUCCEEDED.value,
    )
    .order_by(STEPS.c.finished_at.desc())
    .limit(1)
)


_STEP_COLUMNS = tuple(c.key for c in STEPS.columns)
_RUN_COLUMNS = tuple(c.key for c in RUNS.columns)


def step_from(values: dict[str, Any]) -> StepRow:
    """A step as just written (columns not given were stored NULL)."""
    return detached(StepRow, {**dict.fromkeys(_STEP_COLUMNS), **values})


def run_from(values: dict[str, Any]) -> RunRow:
    """A run as just written (columns not given were stored NULL)."""
    return detached(RunRow, {**dict.fromkeys(_RUN_COLUMNS), **values})


async def get_step(sql: Reader, step_id: str) -> StepRow | None:
    row = await sql.fetchone(_STEP, {"_id": step_id})
    return None if row is None else detached(StepRow, row)


async def get_run(sql: Reader, run_id: str) -> RunRow | None:
    row = await sql.fetchone(_RUN, {"_id": run_id})
    return None if row is None else detached(RunRow, row)


async def run_status(sql: Reader, run_id: str) -> str | None:
    row = await sql.fetchone(_RUN_STATUS, {"_id": run_id})
    return None if row is None else str(row["status"])


async def run_steps(sql: Reader, run_id: str) -> list[StepRow]:
    return [detached(StepRow, r) for r in await sql.fetch(_RUN_STEPS, {"_run": run_id})]


async def unfinished_step_ids(
    sql: Reader, limit: int = 100_000
) -> list[tuple[str, float | None, str]]:
    """Every step that is not terminal, with its time and status (for a runner's rescan)."""
    rows = await sql.fetch(_UNFINISHED, {"_limit": limit})
    return [(r["id"], r["next_at"], r["status"]) for r in rows]


async def find_cached(sql: Reader, owner_id: str, cache_key: str) -> StepRow | None:
    row = await sql.fetchone(_CACHED, {"_owner": owner_id, "_key": cache_key})
    return None if row is None else detached(StepRow, row)
