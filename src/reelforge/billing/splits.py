"""Revenue splits (for example a tip split 80/19/1 between creator, platform and agent).

Remainder rule (largest remainder, Hamilton's method): each part first gets the floor of
its exact share; the micros left over (fewer than the number of parts) go one each to
the parts with the largest fractional remainders, ties to the share listed first.
So the parts always sum to the whole, each is within one micro of its exact share, and
a zero share gets nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing import ledger
from reelforge.billing.ledger import EXTERNAL, PAYEE, REVENUE, TOPUP, Account, Posted
from reelforge.billing.topups import SOURCE
from reelforge.billing.wallets import ensure_period
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.money import format_usd

PLATFORM_PAYEE = "platform"
PAYEE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,150}$")


def split_amount(total: int, shares: Sequence[int]) -> list[int]:
    """Split ``total`` micros by integer ``shares`` (weights); the parts sum to ``total``.

    >>> split_amount(100, [80, 19, 1])
    [80, 19, 1]
    >>> split_amount(10, [1, 1, 1])
    [4, 3, 3]
    """
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError(f"total must be a non-negative int, got {total!r}")
    if not shares or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in shares):
        raise ValueError(f"shares must be non-negative ints, got {list(shares)!r}")
    weight = sum(shares)
    if weight == 0:
        raise ValueError("at least one share must be positive")
    parts = [total * s // weight for s in shares]
    remainders = [total * s % weight for s in shares]
    left = total - sum(parts)
    for i in sorted(range(len(shares)), key=lambda i: (-remainders[i], i))[:left]:
        parts[i] += 1
    return parts


@dataclass(frozen=True, slots=True)
class Split:
    transaction: Posted
    parts: dict[str, int]


async def _payee_account(session: AsyncSession, payee: str) -> Account:
    if payee == PLATFORM_PAYEE:
        return await ledger.platform_account(session, REVENUE)
    if not PAYEE_ID.match(payee):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "Invalid payee id.", detail={"payee": payee}
        )
    return await ledger.get_account(session, f"payee:{payee}", PAYEE)


async def split_payment(
    session: AsyncSession,
    *,
    total_micros: int,
    shares: Sequence[tuple[str, int]],
    idempotency_key: str,
    payer_owner_id: str | None = None,
    source: str | None = None,
    external_id: str | None = None,
    reason: str | None = None,
    actor_id: str | None = None,
    now: datetime | None = None,
) -> Split:
    """Pay ``total_micros`` to payees by ``shares`` (``[("usr_1", 80), ("platform", 19),
    ("agent:abc", 1)]``) in one transaction. ``"platform"`` is the platform's revenue;
    any other id is a ``payee:<id>`` earnings account.

    The money comes either from a user's top-up credits (``payer_owner_id``; plan
    allocations are generation credits granted by the platform, not money a user may
    pass on) or from outside (``source="payment:<provider>"``, e.g. an x402 tip).
    """
    if (payer_owner_id is None) == (source is None):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "Give exactly one of payer_owner_id or source."
        )
    if source is not None and not SOURCE.match(source):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "source must be 'admin' or 'payment:<provider>'.",
            detail={"source": source},
        )
    payees = [p for p, _w in shares]
    if len(set(payees)) != len(payees):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "Each payee may appear once.", detail={"payees": payees}
        )
    try:
        amounts = split_amount(total_micros, [w for _p, w in shares])
    except ValueError as exc:
        raise ReelForgeError(ErrorCode.VALIDATION_ERROR, str(exc)) from exc
    parts = dict(zip(payees, amounts, strict=True))
    if payer_owner_id is not None:
        state = await ensure_period(session, payer_owner_id, now)  # the payer's lock
        existing = await ledger.find_transaction(session, idempotency_key)
        if existing is None and state.topup_micros < total_micros:
            raise ReelForgeError(
                ErrorCode.INSUFFICIENT_FUNDS,
                f"Paying {format_usd(total_micros, 6)} needs top-up credits; "
                f"{format_usd(state.topup_micros, 6)} are available.",
                detail={"needed_micros": total_micros, "available_micros": state.topup_micros},
            )
        payer = await ledger.user_account(session, payer_owner_id, TOPUP)
    else:
        existing = await ledger.find_transaction(session, idempotency_key)
        payer = await ledger.get_account(session, f"external:{source}", EXTERNAL)
    if existing is not None:
        posted = ledger.check_replay(
            existing,
            kind="split",
            owner_id=payer_owner_id,
            amount_micros=total_micros,
            run_id=None,
        )
        return Split(posted, {k: int(v) for k, v in posted.meta["parts"].items()})
    legs = [(payer, -total_micros)]
    for payee, amount in parts.items():
        legs.append((await _payee_account(session, payee), amount))
    posted = await ledger.post(
        session,
        kind="split",
        idempotency_key=idempotency_key,
        legs=legs,
        amount_micros=total_micros,
        owner_id=payer_owner_id,
        actor_id=actor_id,
        reason=reason,
        source=source,
        external_id=external_id,
        meta={"parts": parts, "shares": dict(shares)},
        now=now,
    )
    return Split(posted, parts)
