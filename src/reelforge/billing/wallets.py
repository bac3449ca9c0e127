"""Wallets: a user's plan, period and sub-accounts, created on first use.

``ensure_period`` is the entry point: it locks the wallet (creating it with the default
plan and its first allocation if the user has none yet) and, when ``now`` has passed the
period end, expires what is left of the allocation and grants the new month's. Top-up
credits are never touched by a reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing import ledger
from reelforge.billing.ledger import ALLOCATION, GRANTS, TOPUP
from reelforge.billing.plans import Plan, default_plan, get_plan, period_containing
from reelforge.billing.sql import insert_ignore
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.identity_tables import UserRow
from reelforge.storage.ledger_tables import AccountRow, HoldRow, PlanRow, WalletRow
from reelforge.storage.tables import utcnow

ACTIVE = "active"
RELEASED = "released"


@dataclass(frozen=True, slots=True)
class WalletState:
    owner_id: str
    plan: Plan
    period_start: datetime
    period_end: datetime
    allocation_micros: int
    topup_micros: int
    held_micros: int
    anchor_at: datetime = field(repr=False, compare=False)
    # The user's allocation and topup accounts, so callers need not look them up again.
    accounts: dict[str, ledger.Account] = field(default_factory=dict, repr=False, compare=False)

    @property
    def available_micros(self) -> int:
        """What a new hold can take: allocation left plus top-up credits."""
        return self.allocation_micros + self.topup_micros


async def lock_wallet_of_run(session: AsyncSession, run_id: str) -> bool:
    """``lock_wallet`` for the owner of a run's hold, in one statement; False: no hold."""
    owner = select(HoldRow.owner_id).where(HoldRow.run_id == run_id).scalar_subquery()
    result = await session.execute(
        update(WalletRow)
        .where(WalletRow.owner_id == owner)
        .values(revision=WalletRow.revision + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def lock_wallet(session: AsyncSession, owner_id: str) -> bool:
    """Serialize every money movement of one user; False when the user has no wallet.

    An UPDATE rather than SELECT ... FOR UPDATE because it locks on both backends: the
    row lock on PostgreSQL, the single write lock on SQLite (a read would not).
    """
    result = await session.execute(
        update(WalletRow)
        .where(WalletRow.owner_id == owner_id)
        .values(revision=WalletRow.revision + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def _create_wallet(session: AsyncSession, owner_id: str, now: datetime) -> None:
    if await session.get(UserRow, owner_id) is None:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No user {owner_id!r}.")
    plan = await default_plan(session)
    start, end = period_containing(now, now)
    inserted = await insert_ignore(
        session,
        WalletRow,
        {
            "owner_id": owner_id,
            "plan_id": plan.id,
            "anchor_at": now,
            "period_start": start,
            "period_end": end,
            "revision": 0,
            "created_at": now,
            "updated_at": now,
        },
        ["owner_id"],
    )
    if inserted:
        await _grant(session, owner_id, plan, start, now, kind="plan_grant", current=0)


async def _grant(
    session: AsyncSession,
    owner_id: str,
    plan: Plan,
    period_start: datetime,
    now: datetime,
    *,
    kind: str,
    current: int,
    key: str | None = None,
    actor_id: str | None = None,
    reason: str | None = None,
) -> None:
    """Expire ``current`` (what is left of the allocation) and grant the plan's month."""
    allocation = await ledger.user_account(session, owner_id, ALLOCATION)
    await ledger.user_account(session, owner_id, TOPUP)
    grants = await ledger.platform_account(session, GRANTS)
    delta = plan.monthly_allocation_micros - current
    await ledger.post(
        session,
        kind=kind,
        idempotency_key=key or f"period:{owner_id}:{period_start.isoformat()}",
        legs=[(allocation, delta), (grants, -delta)],
        amount_micros=plan.monthly_allocation_micros,
        owner_id=owner_id,
        actor_id=actor_id,
        reason=reason,
        meta={
            "plan_id": plan.id,
            "period_start": period_start.isoformat(),
            "expired_micros": current,
            "granted_micros": plan.monthly_allocation_micros,
        },
        now=now,
    )


async def ensure_period(
    session: AsyncSession, owner_id: str, now: datetime | None = None
) -> WalletState:
    """Lock the user's wallet (creating it on first use) and roll the period if it ended.

    Leaves the wallet locked until the caller's transaction ends. Never commits.
    """
    now = now or utcnow()
    if not await lock_wallet(session, owner_id):
        await _create_wallet(session, owner_id, now)
        await lock_wallet(session, owner_id)
    state = await wallet_state(session, owner_id)
    if now < state.period_end:
        return state
    start, end = period_containing(state.anchor_at, now)
    await _grant(
        session,
        owner_id,
        state.plan,
        start,
        now,
        kind="period_reset",
        current=state.allocation_micros,
    )
    await session.execute(
        update(WalletRow)
        .where(WalletRow.owner_id == owner_id)
        .values(period_start=start, period_end=end, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return await wallet_state(session, owner_id)


async def set_plan(
    session: AsyncSession,
    owner_id: str,
    plan_id: str,
    *,
    idempotency_key: str,
    actor_id: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> WalletState:
    """Move a user to another plan. A new period starts now with the new plan's full
    allocation (what was left of the old one expires); top-ups are kept."""
    now = now or utcnow()
    plan = await get_plan(session, plan_id)
    await ensure_period(session, owner_id, now)
    existing = await ledger.find_transaction(session, idempotency_key)
    if existing is not None:
        ledger.check_replay(
            existing,
            kind="plan_change",
            owner_id=owner_id,
            amount_micros=plan.monthly_allocation_micros,
            run_id=None,
        )
        return await wallet_state(session, owner_id)
    allocation = await ledger.user_account(session, owner_id, ALLOCATION)
    current = await ledger.balance_of(session, allocation)
    start, end = period_containing(now, now)
    await _grant(
        session,
        owner_id,
        plan,
        start,
        now,
        kind="plan_change",
        current=current,
        key=idempotency_key,
        actor_id=actor_id,
        reason=reason,
    )
    await session.execute(
        update(WalletRow)
        .where(WalletRow.owner_id == owner_id)
        .values(plan_id=plan.id, anchor_at=now, period_start=start, period_end=end, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return await wallet_state(session, owner_id)


async def wallet_state(session: AsyncSession, owner_id: str) -> WalletState:
    """The wallet as it is (no lock, no period roll): for reading after ``ensure_period``."""
    wallet, plan_row = (
        await session.execute(
            select(WalletRow, PlanRow)
            .join(PlanRow, PlanRow.id == WalletRow.plan_id)
            .where(WalletRow.owner_id == owner_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    codes = {
        ledger.user_code(owner_id, ALLOCATION): ALLOCATION,
        ledger.user_code(owner_id, TOPUP): TOPUP,
    }
    balances = dict.fromkeys((ALLOCATION, TOPUP), 0)
    accounts: dict[str, ledger.Account] = {}
    for acc_id, code, kind, cached, balance in await session.execute(
        select(
            AccountRow.id,
            AccountRow.code,
            AccountRow.kind,
            AccountRow.cached,
            AccountRow.balance_micros,
        ).where(AccountRow.code.in_(codes))
    ):
        balances[codes[code]] = int(balance)
        accounts[kind] = ledger.Account(acc_id, code, kind, cached)
    held = await session.execute(
        select(
            func.coalesce(
                func.sum(HoldRow.alloc_remaining_micros + HoldRow.topup_remaining_micros), 0
            )
        ).where(HoldRow.owner_id == owner_id, HoldRow.status == ACTIVE)
    )
    return WalletState(
        owner_id=owner_id,
        plan=Plan.from_row(plan_row),
        period_start=wallet.period_start,
        period_end=wallet.period_end,
        allocation_micros=balances[ALLOCATION],
        topup_micros=balances[TOPUP],
        held_micros=int(held.scalar_one()),
        anchor_at=wallet.anchor_at,
        accounts=accounts,
    )
