"""100 runs of one user start at once against a balance that covers only some of them:
never overdrawn, the refused ones refused before any provider call. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reelforge import billing
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.db import Database
from tests.ledger_helpers import (
    FREE_ALLOCATION,
    T0,
    assert_ledger_ok,
    ledger_db,
    new_user,
    snapshot,
)

RUNS = 100
QUOTE = 130_000
STEP_COST = 100_000
TOPUP = 2_500_000
AVAILABLE = FREE_ALLOCATION + TOPUP  # covers 26 quotes of 0.13: 3.38, leaving 0.12


async def _race(db: Database) -> None:
    user = await new_user(db)
    async with db.transaction() as s:
        await billing.credit_topup(s, user, TOPUP, idempotency_key="fund", now=T0)
    provider_calls: list[str] = []
    start = asyncio.Event()

    async def run(i: int) -> bool:
        run_id = f"run_{i:03d}"
        await start.wait()
        try:
            async with db.transaction() as s:
                await billing.place_hold(s, user, run_id, QUOTE, f"hold:{run_id}", now=T0)
        except ReelForgeError as exc:
            assert exc.code is ErrorCode.INSUFFICIENT_FUNDS, exc
            assert exc.detail["needed_micros"] == QUOTE
            assert 0 <= exc.detail["available_micros"] < QUOTE
            return False
        provider_calls.append(run_id)  # the provider is called only after the hold committed
        return True

    tasks = [asyncio.create_task(run(i)) for i in range(RUNS)]
    start.set()
    results = await asyncio.gather(*tasks)
    held = sum(results)
    assert held == AVAILABLE // QUOTE == 26
    assert len(provider_calls) == held
    snap = await snapshot(db, user)
    assert snap.allocation >= 0 and snap.topup >= 0
    assert snap.held == held * QUOTE
    assert snap.allocation + snap.topup == AVAILABLE - held * QUOTE
    await assert_ledger_ok(db)

    async def finish(run_id: str) -> None:
        async with db.transaction() as s:
            await billing.capture(s, run_id, "step1", STEP_COST)
            await billing.release(s, run_id, now=T0)

    await asyncio.gather(*(finish(r) for r in provider_calls))
    snap = await snapshot(db, user)
    assert snap.held == 0
    assert snap.allocation + snap.topup == AVAILABLE - held * STEP_COST
    await assert_ledger_ok(db)


async def _first_use_race(db: Database) -> None:
    """100 runs of a user nobody has seen yet: the wallet is created once, by one of them,
    with one Free allocation ($1.00 covers 7 quotes of $0.13)."""
    user = await new_user(db)

    async def run(i: int) -> bool:
        try:
            async with db.transaction() as s:
                await billing.place_hold(s, user, f"new_{i:03d}", QUOTE, f"hold:new_{i}", now=T0)
        except ReelForgeError as exc:
            assert exc.code is ErrorCode.INSUFFICIENT_FUNDS, exc
            return False
        return True

    results = await asyncio.gather(*(run(i) for i in range(RUNS)))
    assert sum(results) == FREE_ALLOCATION // QUOTE == 7
    snap = await snapshot(db, user)
    assert (snap.allocation, snap.topup, snap.held) == (FREE_ALLOCATION - 7 * QUOTE, 0, 7 * QUOTE)
    await assert_ledger_ok(db)


async def test_concurrent_runs_never_overdraw_sqlite(tmp_path: Path) -> None:
    async with ledger_db(f"sqlite+aiosqlite:///{tmp_path / 'race.db'}") as db:
        await _race(db)
        await _first_use_race(db)


@pytest.mark.postgres
async def test_concurrent_runs_never_overdraw_postgres(pg_url: str) -> None:
    async with ledger_db(pg_url) as db:
        await _race(db)
        await _first_use_race(db)
