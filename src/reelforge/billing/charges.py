"""Charges against a run's hold: ``capture`` (a finished step's real cost) and
``record_provider_failure_charge`` (what a provider billed for a task that failed).

Both are capped at what is left of the hold: a run never spends more than its hold.
What the provider charged above that has been spent already and cannot be refused, so
the platform books it as its own cost (a quote is a promise to the user; a wrong quote
is ours to absorb). Raising instead would leave a real provider charge unrecorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing import ledger
from reelforge.billing.holds import amount_arg, get_hold, hold_account, locked_hold, update_hold
from reelforge.billing.ledger import PLATFORM_COST, PROVIDER_SPEND, REVENUE, Account
from reelforge.billing.wallets import ACTIVE
from reelforge.domain.errors import ErrorCode, ReelForgeError


@dataclass(frozen=True, slots=True)
class Charge:
    """What one capture (or failure charge) did: ``charged`` to the user's hold, and
    ``absorbed`` by the platform (cost above what was left of the hold, or above the price)."""

    run_id: str
    step_id: str
    charged_micros: int
    absorbed_micros: int
    transaction_id: str | None
    replayed: bool = False


async def _charge(
    session: AsyncSession,
    *,
    kind: str,
    run_id: str,
    step_id: str,
    amount_micros: int,
    provider_cost_micros: int | None,
    idempotency_key: str | None,
    now: datetime | None,
) -> Charge:
    amount_arg(amount_micros)
    cost = amount_micros if provider_cost_micros is None else amount_arg(provider_cost_micros)
    row = await locked_hold(session, run_id)
    if row is None:
        if amount_micros == 0 and cost == 0:
            return Charge(run_id, step_id, 0, 0, None)  # a free step of a run with no hold
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            f"Run {run_id} has no hold: place one before any paid step.",
            detail={"run_id": run_id, "step_id": step_id},
        )
    key = idempotency_key or f"{kind}:{run_id}:{row.generation}:{step_id}"
    existing = await ledger.find_transaction(session, key)
    if existing is not None:
        ledger.check_replay(
            existing, kind=kind, owner_id=row.owner_id, amount_micros=amount_micros, run_id=run_id
        )
        meta = existing.meta
        return Charge(
            run_id,
            step_id,
            int(meta["charged_micros"]),
            int(meta["absorbed_micros"]),
            existing.id,
            True,
        )
    remaining = row.alloc_remaining_micros + row.topup_remaining_micros
    if row.status != ACTIVE:
        remaining = 0
    # Capped: a run never spends more than its hold. What the provider charged above
    # the quote has been spent already and cannot be refused, so the platform books it
    # as its cost (a quote is a promise to the user; a wrong quote is ours to absorb).
    charged = min(amount_micros, remaining)
    overage = amount_micros - charged
    from_alloc = min(charged, row.alloc_remaining_micros)
    from_topup = charged - from_alloc
    legs: list[tuple[Account, int]] = [
        (hold_account(row), -charged),
        (await ledger.platform_account(session, PROVIDER_SPEND), cost),
    ]
    margin = charged - cost
    if margin > 0:
        legs.append((await ledger.platform_account(session, REVENUE), margin))
    elif margin < 0:
        legs.append((await ledger.platform_account(session, PLATFORM_COST), margin))
    absorbed = max(0, -margin)
    posted = await ledger.post(
        session,
        kind=kind,
        idempotency_key=key,
        legs=legs,
        amount_micros=amount_micros,
        owner_id=row.owner_id,
        run_id=run_id,
        step_id=step_id,
        meta={
            "charged_micros": charged,
            "absorbed_micros": absorbed,
            "overage_micros": overage,
            "provider_cost_micros": cost,
            "from_allocation_micros": from_alloc,
            "from_topup_micros": from_topup,
        },
        now=now,
        replay_checked=True,
    )
    await update_hold(
        session,
        run_id,
        alloc_remaining_micros=row.alloc_remaining_micros - from_alloc,
        topup_remaining_micros=row.topup_remaining_micros - from_topup,
        captured_micros=row.captured_micros + charged,
        overage_micros=row.overage_micros + overage,
    )
    return Charge(run_id, step_id, charged, absorbed, posted.id)


async def capture(
    session: AsyncSession,
    run_id: str,
    step_id: str,
    amount_micros: int,
    *,
    provider_cost_micros: int | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Charge:
    """Charge a finished step's real cost to the run's hold.

    ``amount_micros`` is the price to the user; ``provider_cost_micros`` (default: the
    same) what the provider charged, the difference being platform revenue or cost.
    Capped at what is left of the hold; the rest is booked as platform cost. The default
    key makes a second capture of the same step a no-op. A free step (0) of a run with no
    hold is fine; a paid step without a hold is a CONFLICT.
    """
    return await _charge(
        session,
        kind="capture",
        run_id=run_id,
        step_id=step_id,
        amount_micros=amount_micros,
        provider_cost_micros=provider_cost_micros,
        idempotency_key=idempotency_key,
        now=now,
    )


async def record_provider_failure_charge(
    session: AsyncSession,
    run_id: str,
    step_id: str,
    amount_micros: int,
    *,
    bill_user: bool = False,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Charge:
    """Book what a provider charged for a task that failed.

    By default the platform pays (platform:cost → provider_spend); with ``bill_user``
    (the engine passes ``settings.bill_failed_provider_charges``) it is charged to the
    run's hold like a capture, still capped at the hold.
    """
    amount_arg(amount_micros)
    if bill_user:
        return await _charge(
            session,
            kind="failure_charge",
            run_id=run_id,
            step_id=step_id,
            amount_micros=amount_micros,
            provider_cost_micros=None,
            idempotency_key=idempotency_key,
            now=now,
        )
    row = await get_hold(session, run_id)
    generation = row.generation if row is not None else 0
    key = idempotency_key or f"failure_absorbed:{run_id}:{generation}:{step_id}"
    posted = await ledger.post(
        session,
        kind="failure_absorbed",
        idempotency_key=key,
        legs=[
            (await ledger.platform_account(session, PLATFORM_COST), -amount_micros),
            (await ledger.platform_account(session, PROVIDER_SPEND), amount_micros),
        ],
        amount_micros=amount_micros,
        owner_id=row.owner_id if row is not None else None,
        run_id=run_id,
        step_id=step_id,
        meta={"charged_micros": 0, "absorbed_micros": amount_micros},
        now=now,
    )
    if posted.replayed:
        ledger.check_replay(
            posted,
            kind="failure_absorbed",
            owner_id=row.owner_id if row is not None else None,
            amount_micros=amount_micros,
            run_id=run_id,
        )
    return Charge(run_id, step_id, 0, amount_micros, posted.id, posted.replayed)
