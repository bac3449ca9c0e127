"""Runs paying through holds, on SQLite and PostgreSQL: what a user pays when steps fail,
runs are cancelled, keys are replayed and months end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from reelforge import billing
from reelforge.billing import ledger
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.db import Database
from reelforge.storage.ledger_tables import TransactionRow
from tests.ledger_helpers import (
    FREE_ALLOCATION,
    T0,
    account_balance,
    assert_ledger_ok,
    ledger_db,
    new_user,
    snapshot,
)


@pytest.fixture
async def db(any_db_url: str) -> AsyncIterator[Database]:
    async with ledger_db(any_db_url) as database:
        yield database


async def _funded(db: Database, topup: int = 5_000_000) -> str:
    user = await new_user(db)
    async with db.transaction() as s:
        await billing.ensure_period(s, user, T0)
        await billing.credit_topup(s, user, topup, idempotency_key=f"fund:{user}", now=T0)
    return user


async def _txn_count(db: Database) -> int:
    async with db.session() as s:
        return int((await s.execute(select(func.count()).select_from(TransactionRow))).scalar_one())


async def test_second_step_fails_user_pays_only_the_first(db: Database) -> None:
    user = await _funded(db)
    before = await snapshot(db, user)
    async with db.transaction() as s:  # the run's quote: three steps, worst case
        await billing.place_hold(s, user, "run_a", 900_000, "hold:run_a", now=T0)
    async with db.transaction() as s:
        await billing.capture(s, "run_a", "step1", 250_000)
    # step2 fails at the provider (nothing charged), step3 is skipped: the rest comes back.
    async with db.transaction() as s:
        released = await billing.release(s, "run_a", now=T0)
    assert released is not None and released.status == "released"
    assert released.released_micros == 650_000 and released.remaining_micros == 0
    after = await snapshot(db, user)
    assert before.total - after.total == 250_000
    assert after.held == 0
    assert await account_balance(db, "platform:provider_spend") == 250_000
    await assert_ledger_ok(db)


async def test_provider_charge_for_a_failed_task_is_platform_cost_by_default(db: Database) -> None:
    user = await _funded(db)
    before = await snapshot(db, user)
    async with db.transaction() as s:
        await billing.place_hold(s, user, "run_b", 900_000, "hold:run_b", now=T0)
        await billing.capture(s, "run_b", "step1", 250_000)
        charge = await billing.record_provider_failure_charge(s, "run_b", "step2", 80_000)
        await billing.release(s, "run_b", now=T0)
    assert (charge.charged_micros, charge.absorbed_micros) == (0, 80_000)
    assert before.total - (await snapshot(db, user)).total == 250_000
    assert await account_balance(db, "platform:cost") == -80_000
    assert await account_balance(db, "platform:provider_spend") == 330_000
    # The setting that bills users instead: the failed task is charged to the hold.
    async with db.transaction() as s:
        await billing.place_hold(s, user, "run_c", 900_000, "hold:run_c", now=T0)
        billed = await billing.record_provider_failure_charge(
            s, "run_c", "step1", 80_000, bill_user=True
        )
        await billing.release(s, "run_c", now=T0)
    assert (billed.charged_micros, billed.absorbed_micros) == (80_000, 0)
    assert before.total - (await snapshot(db, user)).total == 330_000
    await assert_ledger_ok(db)


async def test_cancelled_run_pays_only_what_finished(db: Database) -> None:
    user = await _funded(db)
    before = await snapshot(db, user)
    async with db.transaction() as s:
        await billing.place_hold(s, user, "run_x", 1_200_000, "hold:run_x", now=T0)
        await billing.capture(s, "run_x", "finished", 300_000)
    async with db.transaction() as s:  # the user cancels
        await billing.release(s, "run_x", now=T0)
    # A provider result that lands after the cancel is not the user's to pay.
    async with db.transaction() as s:
        late = await billing.capture(s, "run_x", "late", 400_000)
    assert (late.charged_micros, late.absorbed_micros) == (0, 400_000)
    assert before.total - (await snapshot(db, user)).total == 300_000
    await assert_ledger_ok(db)


async def test_capture_never_exceeds_the_hold(db: Database) -> None:
    user = await _funded(db)
    async with db.transaction() as s:
        await billing.place_hold(s, user, "run_o", 100_000, "hold:run_o", now=T0)
        first = await billing.capture(s, "run_o", "s1", 150_000)
        hold = await billing.get_hold(s, "run_o")
    assert (first.charged_micros, first.absorbed_micros) == (100_000, 50_000)
    assert hold is not None and hold.overage_micros == 50_000 and hold.captured_micros == 100_000
    assert await account_balance(db, "platform:cost") == -50_000
    await assert_ledger_ok(db)


async def test_margin_between_price_and_provider_cost(db: Database) -> None:
    user = await _funded(db)
    async with db.transaction() as s:
        await billing.place_hold(s, user, "run_m", 500_000, "hold:run_m", now=T0)
        await billing.capture(s, "run_m", "s1", 120_000, provider_cost_micros=100_000)
        await billing.capture(s, "run_m", "s2", 50_000, provider_cost_micros=70_000)
        await billing.release(s, "run_m", now=T0)
    assert await account_balance(db, "platform:revenue") == 20_000
    assert await account_balance(db, "platform:cost") == -20_000
    assert await account_balance(db, "platform:provider_spend") == 170_000
    await assert_ledger_ok(db)


async def test_replaying_keys_changes_nothing(db: Database) -> None:
    user = await _funded(db)
    async with db.transaction() as s:
        hold = await billing.place_hold(s, user, "run_r", 400_000, "hold:run_r", now=T0)
        cap = await billing.capture(s, "run_r", "s1", 100_000)
    state, count = await snapshot(db, user), await _txn_count(db)
    async with db.transaction() as s:
        again = await billing.place_hold(s, user, "run_r", 400_000, "hold:run_r", now=T0)
        cap_again = await billing.capture(s, "run_r", "s1", 100_000)
        topup_again = await billing.credit_topup(
            s, user, 5_000_000, idempotency_key=f"fund:{user}", now=T0
        )
    assert again.replayed and again.transaction_id == hold.transaction_id
    assert cap_again.replayed and cap_again.transaction_id == cap.transaction_id
    assert topup_again.replayed
    assert (await snapshot(db, user), await _txn_count(db)) == (state, count)
    async with db.transaction() as s:
        first = await billing.release(s, "run_r", now=T0)
    async with db.transaction() as s:
        second = await billing.release(s, "run_r", now=T0)
    assert first is not None and second is not None and second.replayed
    assert second.transaction_id == first.transaction_id
    # The same key for a different operation is refused, not silently replayed.
    with pytest.raises(ReelForgeError) as exc:
        async with db.transaction() as s:
            await billing.credit_topup(s, user, 1, idempotency_key=f"fund:{user}", now=T0)
    assert exc.value.code is ErrorCode.CONFLICT
    await assert_ledger_ok(db)


async def test_insufficient_funds_refuses_before_anything_is_reserved(db: Database) -> None:
    user = await new_user(db)  # Free plan only: $1.00
    async with db.transaction() as s:
        with pytest.raises(ReelForgeError) as exc:
            await billing.place_hold(s, user, "run_big", 1_500_000, "hold:run_big", now=T0)
        # The caller may record the refusal and commit: nothing was reserved.
    err = exc.value
    assert err.code is ErrorCode.INSUFFICIENT_FUNDS and err.http_status == 402
    assert err.detail["needed_micros"] == 1_500_000
    assert err.detail["available_micros"] == FREE_ALLOCATION
    snap = await snapshot(db, user)
    assert (snap.allocation, snap.held) == (FREE_ALLOCATION, 0)
    await assert_ledger_ok(db)


async def test_allocation_is_spent_before_topup(db: Database) -> None:
    user = await _funded(db, topup=2_000_000)
    async with db.transaction() as s:
        await billing.place_hold(s, user, "run_1", 1_300_000, "hold:run_1", now=T0)
    snap = await snapshot(db, user)
    assert (snap.allocation, snap.topup, snap.held) == (0, 1_700_000, 1_300_000)
    async with db.transaction() as s:  # spends the allocation part, returns top-up first
        await billing.capture(s, "run_1", "s1", 1_100_000)
        await billing.release(s, "run_1", now=T0)
    snap = await snapshot(db, user)
    assert (snap.allocation, snap.topup, snap.held) == (0, 1_900_000, 0)
    await assert_ledger_ok(db)


async def test_period_reset_keeps_topups(db: Database) -> None:
    user = await _funded(db, topup=3_000_000)  # wallet created at T0 = Jan 31 12:00
    async with db.transaction() as s:
        await billing.place_hold(s, user, "run_p", 400_000, "hold:run_p", now=T0)
        await billing.capture(s, "run_p", "s1", 400_000)
        await billing.release(s, "run_p", now=T0)
    assert (await snapshot(db, user)).allocation == 600_000
    feb_end = T0.replace(month=2, day=28)  # Jan 31 + 1 month, clamped
    async with db.transaction() as s:
        state = await billing.ensure_period(s, user, feb_end - timedelta(seconds=1))
    assert state.allocation_micros == 600_000 and state.period_end == feb_end
    async with db.transaction() as s:
        state = await billing.ensure_period(s, user, feb_end)
    assert (state.allocation_micros, state.topup_micros) == (FREE_ALLOCATION, 3_000_000)
    assert state.period_start == feb_end and state.period_end == T0.replace(month=3)
    # Twice is once; a user away for months gets one reset, to the current period.
    async with db.transaction() as s:
        await billing.ensure_period(s, user, feb_end)
        state = await billing.ensure_period(s, user, T0.replace(month=6, day=15))
    assert state.period_start == T0.replace(month=5) and state.topup_micros == 3_000_000
    await assert_ledger_ok(db)


async def test_allocation_held_across_the_period_end_expires(db: Database) -> None:
    user = await _funded(db, topup=1_000_000)
    async with db.transaction() as s:
        await billing.place_hold(s, user, "run_long", 1_500_000, "hold:run_long", now=T0)
    later = T0 + timedelta(days=40)
    async with db.transaction() as s:
        await billing.capture(s, "run_long", "s1", 200_000)
        await billing.release(s, "run_long", now=later)
    snap = await snapshot(db, user)
    # Held: 1.0M allocation + 0.5M top-up; spent 0.2M of the allocation part; the other
    # 0.8M of January's allocation expires; the new month's allocation is full.
    assert (snap.allocation, snap.topup, snap.held) == (FREE_ALLOCATION, 1_000_000, 0)
    await assert_ledger_ok(db)


async def test_free_runs_need_no_hold_and_paid_steps_do(db: Database) -> None:
    await _funded(db)
    async with db.transaction() as s:
        free = await billing.capture(s, "run_local", "s1", 0)
        assert free.transaction_id is None
        assert await billing.release(s, "run_local") is None
        with pytest.raises(ReelForgeError) as exc:
            await billing.capture(s, "run_local", "s2", 10)
    assert exc.value.code is ErrorCode.CONFLICT
    await assert_ledger_ok(db)


async def test_one_active_hold_per_run_and_a_resumed_run_holds_again(db: Database) -> None:
    user = await _funded(db)
    async with db.transaction() as s:
        await billing.place_hold(s, user, "run_z", 300_000, "hold:run_z:1", now=T0)
        with pytest.raises(ReelForgeError) as exc:
            await billing.place_hold(s, user, "run_z", 300_000, "hold:run_z:2", now=T0)
        assert exc.value.code is ErrorCode.CONFLICT
        await billing.capture(s, "run_z", "s1", 100_000)
        await billing.release(s, "run_z", now=T0)
    async with db.transaction() as s:  # resumed: same run, new key, fresh keys per step
        again = await billing.place_hold(s, user, "run_z", 300_000, "hold:run_z:2", now=T0)
        cap = await billing.capture(s, "run_z", "s1", 100_000)
        done = await billing.release(s, "run_z", now=T0)
    assert again.status == "active" and not cap.replayed and cap.charged_micros == 100_000
    assert done is not None and done.captured_micros == 200_000 and done.held_micros == 600_000
    await assert_ledger_ok(db)


async def test_partial_release_returns_part_while_the_run_goes_on(db: Database) -> None:
    user = await _funded(db)
    async with db.transaction() as s:
        await billing.place_hold(s, user, "run_q", 600_000, "hold:run_q", now=T0)
        part = await billing.release(
            s, "run_q", amount_micros=200_000, idempotency_key="skip:run_q:s3", now=T0
        )
    assert part is not None and part.status == "active" and part.remaining_micros == 400_000
    assert (await snapshot(db, user)).held == 400_000
    await assert_ledger_ok(db)


async def test_unbalanced_transactions_are_refused_in_code(db: Database) -> None:
    user = await _funded(db)
    count = await _txn_count(db)
    with pytest.raises(ReelForgeError) as exc:
        async with db.transaction() as s:
            topup = await ledger.user_account(s, user, ledger.TOPUP)
            grants = await ledger.platform_account(s, ledger.GRANTS)
            await ledger.post(
                s,
                kind="bad",
                idempotency_key="bad:1",
                legs=[(topup, 10), (grants, -9)],
                amount_micros=10,
            )
    assert exc.value.code is ErrorCode.INTERNAL_ERROR and exc.value.detail["sum_micros"] == 1
    assert await _txn_count(db) == count


async def test_verify_finds_tampering_and_the_database_refuses_overdraw(db: Database) -> None:
    user = await _funded(db)
    code = f"user:{user}:topup"
    async with db.transaction() as s:
        await s.execute(
            text("UPDATE ledger_accounts SET balance_micros = balance_micros + 7 WHERE code = :c"),
            {"c": code},
        )
    async with db.session() as s:
        report = await billing.verify_balances(s)
    assert not report.ok and report.balance_mismatches[0]["account"] == code
    async with db.transaction() as s:
        await s.execute(
            text("UPDATE ledger_accounts SET balance_micros = balance_micros - 7 WHERE code = :c"),
            {"c": code},
        )
        txn = (await s.execute(select(TransactionRow.id).limit(1))).scalar_one()
        acc = (
            await s.execute(text("SELECT id FROM ledger_accounts WHERE code = :c"), {"c": code})
        ).scalar_one()
        await s.execute(
            text(
                "INSERT INTO ledger_entries (transaction_id, account_id, amount_micros, "
                "balance_after_micros, created_at) VALUES (:t, :a, 5, 0, :now)"
            ),
            {"t": txn, "a": acc, "now": T0},
        )
    async with db.session() as s:
        report = await billing.verify_balances(s)
    assert report.unbalanced_transactions and report.balance_mismatches and report.total_micros == 5
    with pytest.raises(IntegrityError):
        async with db.transaction() as s:
            await s.execute(
                text("UPDATE ledger_accounts SET balance_micros = -1 WHERE code = :c"), {"c": code}
            )


async def test_tip_split_80_19_1(db: Database) -> None:
    tipper = await _funded(db, topup=1_000_000)
    shares = [("creator:usr_c", 80), ("platform", 19), ("agent:a1", 1)]
    async with db.transaction() as s:
        tip = await billing.split_payment(
            s, total_micros=250_001, shares=shares, idempotency_key="tip:1", payer_owner_id=tipper
        )
        x402 = await billing.split_payment(
            s,
            total_micros=100_000,
            shares=shares,
            idempotency_key="tip:2",
            source="payment:x402",
            external_id="0xabc",
        )
    assert tip.parts == {"creator:usr_c": 200_001, "platform": 47_500, "agent:a1": 2_500}
    assert sum(tip.parts.values()) == 250_001
    assert x402.parts == {"creator:usr_c": 80_000, "platform": 19_000, "agent:a1": 1_000}
    assert (await snapshot(db, tipper)).topup == 1_000_000 - 250_001
    assert await account_balance(db, "payee:agent:a1") == 3_500
    with pytest.raises(ReelForgeError) as exc:
        async with db.transaction() as s:
            await billing.split_payment(
                s, total_micros=10**9, shares=shares, idempotency_key="tip:3", payer_owner_id=tipper
            )
    assert exc.value.code is ErrorCode.INSUFFICIENT_FUNDS
    await assert_ledger_ok(db)


async def test_plan_change_starts_a_period_with_the_new_allocation(db: Database) -> None:
    user = await _funded(db, topup=500_000)
    later = T0 + timedelta(days=10)
    async with db.transaction() as s:
        state = await billing.set_plan(
            s, user, "pro", idempotency_key="plan:1", actor_id=None, reason="upgrade", now=later
        )
    assert state.plan.id == "pro" and state.plan.rate_limit_multiplier == 3.0
    assert (state.allocation_micros, state.topup_micros) == (20_000_000, 500_000)
    assert state.period_start == later
    with pytest.raises(ReelForgeError) as exc:
        async with db.transaction() as s:
            await billing.set_plan(s, user, "gold", idempotency_key="plan:2", now=later)
    assert exc.value.code is ErrorCode.NOT_FOUND
    await assert_ledger_ok(db)


async def test_money_moves_with_the_callers_transaction(db: Database) -> None:
    """Nothing in billing commits: if the engine's state change rolls back, so does the hold."""
    user = await _funded(db)
    before, count = await snapshot(db, user), await _txn_count(db)

    class StepStateConflict(Exception):
        pass

    with pytest.raises(StepStateConflict):
        async with db.transaction() as s:
            await billing.place_hold(s, user, "run_rb", 300_000, "hold:run_rb", now=T0)
            await billing.capture(s, "run_rb", "s1", 100_000)
            raise StepStateConflict  # e.g. the step's compare-and-set lost
    assert (await snapshot(db, user), await _txn_count(db)) == (before, count)
    async with db.session() as s:
        assert await billing.get_hold(s, "run_rb") is None
    async with db.transaction() as s:  # and the same keys work afterwards
        hold = await billing.place_hold(s, user, "run_rb", 300_000, "hold:run_rb", now=T0)
    assert not hold.replayed
    await assert_ledger_ok(db)
