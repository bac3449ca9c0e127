"""HD credits (seed 004, "Billing Architecture"): an HD image costs credits; they come
from the plan's monthly allocation first, then from top-ups, booked in the core ledger
(``user:<id>:allocation`` / ``user:<id>:topup`` → ``platform:revenue``). Standard
generation is free within the rate limits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing import ledger
from reelforge.billing.ledger import ALLOCATION, REVENUE, TOPUP
from reelforge.billing.wallets import ensure_period
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.money import format_usd

# One HD image; the plan's allocation in micro-USD buys allocation // this many.
HD_CREDIT_MICROS = 40_000  # $0.04


@dataclass(frozen=True)
class HdBalance:
    plan: str
    allocation_credits: int
    topup_credits: int
    max_workspaces: int
    rate_limit_multiplier: float

    @property
    def total(self) -> int:
        return self.allocation_credits + self.topup_credits

    def view(self) -> dict[str, object]:
        return {
            "plan": self.plan,
            "hd_credits": self.total,
            "allocation_credits": self.allocation_credits,
            "topup_credits": self.topup_credits,
            "hd_credit_usd": format_usd(HD_CREDIT_MICROS),
            "max_workspaces": self.max_workspaces,
            "rate_limit_multiplier": self.rate_limit_multiplier,
        }


async def balance(session: AsyncSession, owner_id: str) -> HdBalance:
    state = await ensure_period(session, owner_id)  # the wallet made on first use
    return HdBalance(
        state.plan.id,
        state.allocation_micros // HD_CREDIT_MICROS,
        state.topup_micros // HD_CREDIT_MICROS,
        state.plan.max_workspaces,
        state.plan.rate_limit_multiplier,
    )


def _short(needed: int, have: int) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.INSUFFICIENT_FUNDS,
        f"HD needs {needed} credit(s); {have} left this month (allocation and top-ups).",
        remediation=(
            "Use standard quality (free), buy a top-up pack (POST /v1/assets/topups),",
            "or move to a plan with a larger monthly allocation.",
        ),
        detail={"needed_credits": needed, "available_credits": have},
    )


async def check_available(session: AsyncSession, owner_id: str, credits: int) -> None:
    have = (await balance(session, owner_id)).total
    if have < credits:
        raise _short(credits, have)


async def deduct(
    session: AsyncSession, owner_id: str, amount: int, *, key: str, batch_id: str, images: int
) -> dict[str, int]:
    """Take ``amount`` micro-USD of HD credits (``images`` HD images; see settle.py for
    what each costs), allocation first, then top-ups; once per ``key``."""
    credits = -(-amount // HD_CREDIT_MICROS)
    state = await ensure_period(session, owner_id)  # the wallet lock, the period current
    existing = await ledger.find_transaction(session, key)
    if existing is not None:
        return dict(existing.meta)
    if state.available_micros < amount:
        raise _short(credits, state.available_micros // HD_CREDIT_MICROS)
    from_alloc = min(amount, state.allocation_micros)
    from_topup = amount - from_alloc
    split = {"from_allocation_micros": from_alloc, "from_topup_micros": from_topup}
    await ledger.post(
        session,
        kind="assets_hd",
        idempotency_key=key,
        legs=[
            (
                state.accounts.get(ALLOCATION)
                or await ledger.user_account(session, owner_id, ALLOCATION),
                -from_alloc,
            ),
            (
                state.accounts.get(TOPUP) or await ledger.user_account(session, owner_id, TOPUP),
                -from_topup,
            ),
            (await ledger.platform_account(session, REVENUE), amount),
        ],
        amount_micros=amount,
        owner_id=owner_id,
        reason=f"asset studio HD: {images} image(s) of batch {batch_id}",
        meta=split,
        replay_checked=True,
    )
    return split
