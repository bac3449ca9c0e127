"""Runs pay through holds: hold the quote, capture each step's cost (``billing.charges``),
release the rest.

The engine calls these inside its own database transaction (they never commit), so a
step's state change and its money move together or not at all. Each takes the user's
wallet lock first (see ``billing.ledger``), which is what makes overdraw impossible
when many runs of one user start at once.

Spending order: a hold takes the monthly allocation first, then top-up credits; a
capture spends the hold's allocation part first; a release returns the top-up part
first. So the credits that expire are the ones used up first. Allocation credits that
come back after their period ended expire instead of joining the new month's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing import ledger
from reelforge.billing.ledger import (
    ALLOCATION,
    GRANTS,
    HOLD,
    TOPUP,
    Account,
    Posted,
)
from reelforge.billing.wallets import ACTIVE, RELEASED, ensure_period, lock_wallet_of_run
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.money import format_usd
from reelforge.storage.ledger_tables import HoldRow
from reelforge.storage.tables import utcnow


@dataclass(frozen=True, slots=True)
class Hold:
    run_id: str
    owner_id: str
    status: str  # "active" | "released"
    held_micros: int
    remaining_micros: int
    captured_micros: int
    overage_micros: int
    released_micros: int
    transaction_id: str | None = None
    replayed: bool = False

    @classmethod
    def from_row(cls, row: HoldRow, posted: Posted | None = None) -> Hold:
        return cls(
            run_id=row.run_id,
            owner_id=row.owner_id,
            status=row.status,
            held_micros=row.held_micros,
            remaining_micros=row.alloc_remaining_micros + row.topup_remaining_micros,
            captured_micros=row.captured_micros,
            overage_micros=row.overage_micros,
            released_micros=row.released_micros,
            transaction_id=posted.id if posted else None,
            replayed=posted.replayed if posted else False,
        )


def amount_arg(value: int, name: str = "amount_micros") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"{name} must be a non-negative integer number of micro-USD.",
            detail={name: repr(value)},
        )
    return value


async def get_hold(session: AsyncSession, run_id: str) -> HoldRow | None:
    stmt = select(HoldRow).where(HoldRow.run_id == run_id).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_hold(session: AsyncSession, run_id: str, **values: object) -> None:
    await session.execute(
        update(HoldRow)
        .where(HoldRow.run_id == run_id)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )


async def user_account(session: AsyncSession, owner_id: str, kind: str) -> Account:
    return await ledger.user_account(session, owner_id, kind)


def hold_account(row: HoldRow) -> Account:
    return Account(row.account_id, ledger.hold_code(row.run_id), HOLD, cached=True)


async def place_hold(
    session: AsyncSession,
    owner_id: str,
    run_id: str,
    amount_micros: int,
    idempotency_key: str,
    *,
    now: datetime | None = None,
) -> Hold:
    """Reserve ``amount_micros`` (the run's quote, worst case) for ``run_id``.

    Raises INSUFFICIENT_FUNDS (detail: needed/available) when the allocation plus
    top-up credits cannot cover it; nothing is reserved then and the session may still
    be committed. A run has one active hold; a released hold may be placed again
    (a resumed run) under a new key. Replaying a key returns the hold as it is now.
    """
    amount_arg(amount_micros)
    state = await ensure_period(session, owner_id, now)  # takes the wallet lock
    existing = await ledger.find_transaction(session, idempotency_key)
    if existing is not None:
        ledger.check_replay(
            existing, kind="hold", owner_id=owner_id, amount_micros=amount_micros, run_id=run_id
        )
        row = await get_hold(session, run_id)
        assert row is not None
        return Hold.from_row(row, existing)
    row = await get_hold(session, run_id)
    if row is not None and (row.owner_id != owner_id or row.status == ACTIVE):
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            f"Run {run_id} already has an active hold (or belongs to another user).",
            detail={"run_id": run_id, "status": row.status},
        )
    if state.available_micros < amount_micros:
        raise ReelForgeError(
            ErrorCode.INSUFFICIENT_FUNDS,
            f"This run needs {format_usd(amount_micros, 6)}; "
            f"{format_usd(state.available_micros, 6)} is available.",
            detail={
                "needed_micros": amount_micros,
                "available_micros": state.available_micros,
                "allocation_micros": state.allocation_micros,
                "topup_micros": state.topup_micros,
                "held_micros": state.held_micros,
                "run_id": run_id,
            },
        )
    from_alloc = min(amount_micros, state.allocation_micros)
    from_topup = amount_micros - from_alloc
    hold_acc = await ledger.get_account(
        session, ledger.hold_code(run_id), HOLD, owner_id=owner_id, run_id=run_id
    )
    posted = await ledger.post(
        session,
        kind="hold",
        idempotency_key=idempotency_key,
        legs=[
            (
                state.accounts.get(ALLOCATION) or await user_account(session, owner_id, ALLOCATION),
                -from_alloc,
            ),
            (
                state.accounts.get(TOPUP) or await user_account(session, owner_id, TOPUP),
                -from_topup,
            ),
            (hold_acc, amount_micros),
        ],
        amount_micros=amount_micros,
        owner_id=owner_id,
        run_id=run_id,
        meta={"from_allocation_micros": from_alloc, "from_topup_micros": from_topup},
        now=now,
        replay_checked=True,
    )
    values = {
        "status": ACTIVE,
        "alloc_remaining_micros": from_alloc,
        "topup_remaining_micros": from_topup,
        "period_start": state.period_start,
        "released_at": None,
    }
    if row is None:
        row = HoldRow(
            run_id=run_id,
            owner_id=owner_id,
            account_id=hold_acc.id,
            generation=1,
            held_micros=amount_micros,
            captured_micros=0,
            overage_micros=0,
            released_micros=0,
            created_at=posted.created_at,
            updated_at=posted.created_at,
            **values,
        )
        session.add(row)
        await session.flush()
    else:
        await update_hold(
            session,
            run_id,
            generation=row.generation + 1,
            held_micros=row.held_micros + amount_micros,
            **values,
        )
        row = await get_hold(session, run_id)
        assert row is not None
    return Hold.from_row(row, posted)


async def locked_hold(session: AsyncSession, run_id: str) -> HoldRow | None:
    """The run's hold, read under its owner's wallet lock; None if the run has none."""
    if not await lock_wallet_of_run(session, run_id):
        return None
    return await get_hold(session, run_id)


async def release(
    session: AsyncSession,
    run_id: str,
    *,
    amount_micros: int | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Hold | None:
    """Return the unspent rest of a run's hold (failure, cancel, skip or success).

    Without ``amount_micros`` everything left is returned and the hold is closed.
    With it, only that much (capped at what is left) while the run goes on, e.g. the
    quotes of skipped steps; a partial release needs its own ``idempotency_key``.
    Returns None for a run that never held anything (a free run).
    """
    if amount_micros is not None:
        amount_arg(amount_micros)
        if not idempotency_key:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR, "A partial release needs its own idempotency key."
            )
    row = await locked_hold(session, run_id)
    if row is None:
        return None
    key = idempotency_key or f"release:{run_id}:{row.generation}"
    existing = await ledger.find_transaction(session, key)
    if existing is not None:
        if existing.kind != "release" or existing.run_id != run_id:
            ledger.check_replay(
                existing, kind="release", owner_id=row.owner_id, amount_micros=0, run_id=run_id
            )
        return Hold.from_row(row, existing)
    state = await ensure_period(session, row.owner_id, now)
    remaining = row.alloc_remaining_micros + row.topup_remaining_micros
    amount = remaining if amount_micros is None else min(amount_micros, remaining)
    if row.status != ACTIVE:
        amount = 0
    to_topup = min(amount, row.topup_remaining_micros)
    to_alloc = amount - to_topup
    # Allocation held across a period boundary expires: it would have, unheld.
    expired = to_alloc if row.period_start != state.period_start else 0
    legs: list[tuple[Account, int]] = [
        (hold_account(row), -amount),
        (state.accounts.get(TOPUP) or await user_account(session, row.owner_id, TOPUP), to_topup),
        (
            state.accounts.get(ALLOCATION) or await user_account(session, row.owner_id, ALLOCATION),
            to_alloc - expired,
        ),
    ]
    if expired:
        legs.append((await ledger.platform_account(session, GRANTS), expired))
    posted = await ledger.post(
        session,
        kind="release",
        idempotency_key=key,
        legs=legs,
        amount_micros=amount,
        owner_id=row.owner_id,
        run_id=run_id,
        meta={"released_micros": amount, "to_topup_micros": to_topup, "expired_micros": expired},
        now=now,
        replay_checked=True,
    )
    closing = amount_micros is None and row.status == ACTIVE
    await update_hold(
        session,
        run_id,
        alloc_remaining_micros=row.alloc_remaining_micros - to_alloc,
        topup_remaining_micros=row.topup_remaining_micros - to_topup,
        released_micros=row.released_micros + amount,
        status=RELEASED if closing else row.status,
        released_at=posted.created_at if closing else row.released_at,
    )
    row = await get_hold(session, run_id)
    assert row is not None
    return Hold.from_row(row, posted)
