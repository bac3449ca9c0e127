"""New runs are stored with group commit (engine/intake.py): runs arriving together share a
transaction, a refused hold fails only its own run, a duplicate only itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from reelforge.app import open_container
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Role
from reelforge.emulators.fal import SANDBOX_CREDENTIAL as FAL_KEY
from reelforge.engine.pipeline import Node, Pipeline
from reelforge.storage import identity
from reelforge.storage.run_tables import RunEventRow, RunRow, StepRow
from tests.conftest import make_settings
from tests.ledger_helpers import assert_ledger_ok


@pytest.fixture
async def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Container]:
    # A live, priced provider (nothing is submitted: the runner is not started).
    monkeypatch.setenv("FAL_KEY", FAL_KEY["api_key"])
    settings = make_settings(tmp_path / "h", provider_base_urls={"fal": "http://127.0.0.1:9"})
    async with open_container(settings) as container:
        yield container


async def owner_id(c: Container) -> str:
    async with c.db.session() as s:
        owner = await identity.find_owner(s)
    assert owner is not None
    return owner.id


def images(n: int) -> Pipeline:
    return Pipeline(
        nodes=[Node(id=f"n{i}", model="fal/flux-dev", prompt=f"shot {i}") for i in range(n)]
    )


async def count(c: Container, table: Any) -> int:
    async with c.db.session() as s:
        return int((await s.execute(select(func.count()).select_from(table))).scalar_one())


async def queued_together(c: Container, *calls: Any) -> list[Any]:
    """Start the calls while this process's write lock is held, so they queue into one
    batch, then let the batch go."""
    lock = c.db._write_lock
    assert lock is not None
    async with lock:
        tasks = [asyncio.create_task(call) for call in calls]
        while len(c.runs.intake._queue) < len(calls):
            await asyncio.sleep(0.005)
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_runs_arriving_together_share_commits(live: Container) -> None:
    owner = await owner_id(live)
    before = live.runs.intake.batches
    created = await asyncio.gather(*(live.runs.create_run(owner, images(1)) for _ in range(40)))
    assert len({c.run_id for c in created}) == 40
    assert live.runs.intake.batches - before < 40
    assert await count(live, RunRow) == 40 and await count(live, StepRow) == 40
    assert await count(live, RunEventRow) == 40  # one run.created each
    await assert_ledger_ok(live.db)


async def member_id(c: Container) -> str:
    """A member: the environment keys are lent to members, so plan credits pay."""
    async with c.db.transaction() as s:
        user = await identity.create_user(s, "member", Role.MEMBER)
    return user.id


async def test_a_refused_hold_fails_only_its_own_run(live: Container) -> None:
    owner = await member_id(live)
    # 60 priced images cost more than the Free plan's $1; one image fits.
    big, small = await queued_together(
        live, live.runs.create_run(owner, images(60)), live.runs.create_run(owner, images(1))
    )
    assert isinstance(big, ReelForgeError) and big.code is ErrorCode.INSUFFICIENT_FUNDS
    assert not isinstance(small, BaseException)
    assert await count(live, RunRow) == 1 and await count(live, StepRow) == 1
    async with live.db.session() as s:
        only = (await s.execute(select(RunRow.id))).scalar_one()
    assert only == small.run_id
    await assert_ledger_ok(live.db)


async def test_a_duplicate_in_a_batch_returns_the_first_run_and_spares_the_rest(
    live: Container,
) -> None:
    owner = await owner_id(live)
    first, again, other = await queued_together(
        live,
        live.runs.create_run(owner, images(1), idempotency_key="same"),
        live.runs.create_run(owner, images(1), idempotency_key="same"),
        live.runs.create_run(owner, images(1)),
    )
    assert not any(isinstance(r, BaseException) for r in (first, again, other))
    assert again.run_id == first.run_id and again.existing
    assert await count(live, RunRow) == 2
    await assert_ledger_ok(live.db)
