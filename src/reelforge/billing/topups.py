"""Money coming in (top-ups) and admin corrections (adjustments), both audited:
the transaction stores who (``actor_id``), when (``created_at``) and why (``reason``).

``credit_topup`` is also the interface a payment provider integration calls once a
payment settled: ``source="payment:<provider>"`` and the provider's payment id as
``external_id``, with an idempotency key derived from that id so a webhook delivered
twice credits once.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing import ledger
from reelforge.billing.ledger import ADJUSTMENTS, ALLOCATION, EXTERNAL, TOPUP, Posted
from reelforge.billing.wallets import ensure_period
from reelforge.domain.errors import ErrorCode, ReelForgeError

SOURCE = re.compile(r"^(admin|payment:[a-z0-9][a-z0-9_.-]{0,60})$")


def _positive(amount_micros: int) -> int:
    if isinstance(amount_micros, bool) or not isinstance(amount_micros, int) or amount_micros <= 0:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "A top-up must be a positive integer number of micro-USD.",
            detail={"amount_micros": repr(amount_micros)},
        )
    return amount_micros


async def credit_topup(
    session: AsyncSession,
    owner_id: str,
    amount_micros: int,
    *,
    idempotency_key: str,
    source: str = "admin",
    external_id: str | None = None,
    reason: str | None = None,
    actor_id: str | None = None,
    now: datetime | None = None,
) -> Posted:
    """Add top-up credits (they never expire): ``external:<source>`` → the user's topup."""
    _positive(amount_micros)
    if not SOURCE.match(source):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "source must be 'admin' or 'payment:<provider>' (lower case).",
            detail={"source": source},
        )
    await ensure_period(session, owner_id, now)
    existing = await ledger.find_transaction(session, idempotency_key)
    if existing is not None:
        return ledger.check_replay(
            existing, kind="topup", owner_id=owner_id, amount_micros=amount_micros, run_id=None
        )
    external = await ledger.get_account(session, f"external:{source}", EXTERNAL)
    return await ledger.post(
        session,
        kind="topup",
        idempotency_key=idempotency_key,
        legs=[
            (external, -amount_micros),
            (await ledger.user_account(session, owner_id, TOPUP), amount_micros),
        ],
        amount_micros=amount_micros,
        owner_id=owner_id,
        actor_id=actor_id,
        reason=reason,
        source=source,
        external_id=external_id,
        now=now,
    )


async def adjust(
    session: AsyncSession,
    owner_id: str,
    amount_micros: int,
    *,
    reason: str,
    idempotency_key: str,
    actor_id: str | None = None,
    account: str = TOPUP,
    now: datetime | None = None,
) -> Posted:
    """Correct a user's ``topup`` (default) or ``allocation`` by a signed amount.

    A reason is required. A negative adjustment larger than the balance is a CONFLICT:
    it would take credits the user does not have (held credits are not touched).
    """
    if isinstance(amount_micros, bool) or not isinstance(amount_micros, int) or amount_micros == 0:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "An adjustment is a non-zero integer number of micro-USD.",
            detail={"amount_micros": repr(amount_micros)},
        )
    if not reason or not reason.strip():
        raise ReelForgeError(ErrorCode.VALIDATION_ERROR, "An adjustment needs a reason.")
    if account not in (TOPUP, ALLOCATION):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "account must be 'topup' or 'allocation'.",
            detail={"account": account},
        )
    await ensure_period(session, owner_id, now)
    existing = await ledger.find_transaction(session, idempotency_key)
    if existing is not None:
        return ledger.check_replay(
            existing, kind="adjustment", owner_id=owner_id, amount_micros=amount_micros, run_id=None
        )
    target = await ledger.user_account(session, owner_id, account)
    balance = await ledger.balance_of(session, target)
    if balance + amount_micros < 0:
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            f"The adjustment would take the {account} balance below zero.",
            detail={"balance_micros": balance, "amount_micros": amount_micros},
        )
    return await ledger.post(
        session,
        kind="adjustment",
        idempotency_key=idempotency_key,
        legs=[
            (target, amount_micros),
            (await ledger.platform_account(session, ADJUSTMENTS), -amount_micros),
        ],
        amount_micros=amount_micros,
        owner_id=owner_id,
        actor_id=actor_id,
        reason=reason.strip(),
        source="admin",
        meta={"account": account},
        now=now,
    )
