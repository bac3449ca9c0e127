"""Human votes are tips over x402: a clip variant's tip-vote (or an audio series' tip).

Without ``X-PAYMENT`` the answer is 402 with the payment requirements. With it, the
payment is verified (x402.verify: signature, asset, network, payTo, amount, validity
window), and then, in ONE database transaction: the nonce is checked unseen, the
facilitator settles, the vote is recorded and the 80/19/1 split is posted to the ledger
with its payouts queued. Either all of it exists or none of it does; a replayed payment
(or a concurrent twin) finds the nonce taken. One tip-vote per payer wallet per variant.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.apps.series import x402
from reelforge.apps.series.facilitator import NONCE_USED
from reelforge.apps.series.platform import SeriesPlatform, cents
from reelforge.billing.splits import split_payment
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.storage.series_tables import (
    SeriesAgentRow,
    SeriesClipVariantRow,
    SeriesLimitedSeriesRow,
    SeriesPayoutRow,
    SeriesProductionRow,
    SeriesTipRow,
)

SHARES = (("creator", 80), ("platform", 19), ("agent", 1))
SOURCE = "payment:x402"


class PaymentNeeded(Exception):
    """Answered as HTTP 402 with an x402 body (requirements, and why)."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("error"))
        self.body = body


@dataclass(frozen=True, slots=True)
class Target:
    agent_id: str
    variant_id: str | None
    series_id: str | None
    label: str


def payee_ids(agent_id: str) -> dict[str, str]:
    return {
        "creator": f"series-creator:{agent_id}",
        "platform": "platform",
        "agent": f"series-agent:{agent_id}",
    }


def amount_cents(platform: SeriesPlatform, asked: int | None) -> int:
    value = platform.config.tip_default_cents if asked is None else asked
    if value < platform.config.tip_min_cents:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"The smallest tip is {platform.config.tip_min_cents} cents.",
            detail={
                "invalid_fields": [{"field": "tip_amount_cents", "problem": "below minimum"}],
                "min_cents": platform.config.tip_min_cents,
            },
        )
    return value


def _requirements(
    platform: SeriesPlatform, tip: int, resource: str, label: str
) -> x402.Requirements:
    pay_to = platform.require_pay_to()
    if platform.facilitator.name == "local" and not platform.config.sandbox:
        raise ReelForgeError(
            ErrorCode.FEATURE_DISABLED,
            "Tip-votes need a real x402 facilitator outside sandbox mode.",
            remediation=(
                "Set REELFORGE_SERIES_FACILITATOR_URL (e.g. https://x402.org/facilitator).",
            ),
        )
    return x402.Requirements(
        network=platform.config.network,
        amount_atomic=tip * x402.MICROS_PER_CENT,
        pay_to=pay_to,
        resource=resource,
        description=label,
    )


def _refusal(req: x402.Requirements, refused: x402.PaymentRefused) -> PaymentNeeded:
    return PaymentNeeded(
        x402.payment_required_body(
            req,
            refused.reason,
            code=str(ErrorCode.PAYMENT_INVALID),
            message=refused.message,
            remediation=["Sign a fresh authorization for `accepts[0]` and retry with X-PAYMENT."],
        )
    )


async def clip_target(platform: SeriesPlatform, variant_id: str, now: datetime) -> Target:
    async with platform.db.session() as session:
        return await _clip_target(session, variant_id, now)


async def _clip_target(session: AsyncSession, variant_id: str, now: datetime) -> Target:
    variant = await session.get(SeriesClipVariantRow, variant_id)
    if variant is None:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No clip variant {variant_id}.")
    prod = await session.get(SeriesProductionRow, variant.production_id)
    assert prod is not None
    if prod.status != "voting" or prod.voting_ends_at is None or prod.voting_ends_at <= now:
        raise ReelForgeError(
            ErrorCode.VOTING_CLOSED,
            f"Clip voting is not open for this production (status {prod.status!r}).",
            detail={"production_status": prod.status},
        )
    return Target(prod.agent_id, variant_id, None, f"Tip-vote for clip variant {variant_id}")


async def series_target(platform: SeriesPlatform, series_id: str) -> Target:
    async with platform.db.session() as session:
        return await _series_target(session, series_id)


async def _series_target(session: AsyncSession, series_id: str) -> Target:
    row = await session.get(SeriesLimitedSeriesRow, series_id)
    if row is None:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No series {series_id}.")
    if row.medium != "audio" or row.status != "complete":
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            "Only a complete audio series takes series tips "
            f"(this one is a {row.medium} series, {row.status}).",
            detail={"medium": row.medium, "status": row.status},
        )
    return Target(row.agent_id, None, series_id, f"Tip for audio series {series_id}")


async def tip(
    platform: SeriesPlatform,
    *,
    variant_id: str | None = None,
    series_id: str | None = None,
    header: str | None,
    asked_cents: int | None,
    resource: str,
) -> tuple[dict[str, Any], str]:
    """The tip's result and the X-PAYMENT-RESPONSE header; or PaymentNeeded (402)."""
    now = platform.now()
    target = (
        await clip_target(platform, variant_id, now)
        if variant_id is not None
        else await series_target(platform, str(series_id))
    )
    req = _requirements(platform, amount_cents(platform, asked_cents), resource, target.label)
    if not header:
        raise PaymentNeeded(
            x402.payment_required_body(
                req,
                "X-PAYMENT header is required",
                code=str(ErrorCode.PAYMENT_REQUIRED),
                message="Voting requires a tip: sign the payment requirements (x402).",
            )
        )
    try:
        payment = x402.verify(x402.decode_header(header), req, int(platform.wall_now().timestamp()))
        result = await _record(platform, target, payment, req, now)
    except x402.PaymentRefused as refused:
        raise _refusal(req, refused) from None
    settled = {
        "success": True,
        "transaction": result["transaction"],
        "network": req.network,
        "payer": payment.payer,
    }
    encoded = base64.b64encode(json.dumps(settled, separators=(",", ":")).encode()).decode()
    return result, encoded


async def _record(
    platform: SeriesPlatform,
    target: Target,
    payment: x402.Payment,
    req: x402.Requirements,
    now: datetime,
) -> dict[str, Any]:
    try:
        async with platform.db.transaction() as session:
            return await _record_in(session, platform, target, payment, req, now)
    except IntegrityError:
        # A concurrent twin committed first (PostgreSQL; SQLite serializes writers):
        # tell which rule it broke, from what is now committed.
        async with platform.db.session() as session:
            seen = await session.scalar(
                select(SeriesTipRow.id).where(
                    SeriesTipRow.payer_wallet == payment.payer, SeriesTipRow.nonce == payment.nonce
                )
            )
        if seen is not None:
            raise x402.PaymentRefused(
                NONCE_USED, "This authorization nonce was already used."
            ) from None
        raise _duplicate(target) from None


def _duplicate(target: Target) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.DUPLICATE_VOTE,
        "This wallet already tip-voted on this clip variant (one per wallet per variant).",
        detail={"clip_variant_id": target.variant_id},
    )


async def _record_in(
    session: AsyncSession,
    platform: SeriesPlatform,
    target: Target,
    payment: x402.Payment,
    req: x402.Requirements,
    now: datetime,
) -> dict[str, Any]:
    # Re-read inside the transaction: voting may have closed since the first look.
    if target.variant_id is not None:
        await _clip_target(session, target.variant_id, now)
    seen = await session.scalar(
        select(SeriesTipRow.id).where(
            SeriesTipRow.payer_wallet == payment.payer, SeriesTipRow.nonce == payment.nonce
        )
    )
    if seen is not None:
        raise x402.PaymentRefused(NONCE_USED, "This authorization nonce was already used.")
    if target.variant_id is not None:
        twice = await session.scalar(
            select(SeriesTipRow.id).where(
                SeriesTipRow.clip_variant_id == target.variant_id,
                SeriesTipRow.payer_wallet == payment.payer,
            )
        )
        if twice is not None:
            raise _duplicate(target)
    settlement = await platform.facilitator.settle(session, payment, req)
    agent = await session.get(SeriesAgentRow, target.agent_id)
    assert agent is not None
    tip_id = new_id("tip")
    session.add(
        SeriesTipRow(
            id=tip_id,
            clip_variant_id=target.variant_id,
            series_id=target.series_id,
            agent_id=agent.id,
            payer_wallet=payment.payer,
            nonce=payment.nonce,
            amount_micros=payment.value,
            tx_hash=settlement.transaction,
            network=req.network,
            created_at=now,
        )
    )
    await session.flush()  # the unique keys decide here, before any money moves
    if target.variant_id is not None:
        await session.execute(
            update(SeriesClipVariantRow)
            .where(SeriesClipVariantRow.id == target.variant_id)
            .values(
                vote_count=SeriesClipVariantRow.vote_count + 1,
                tip_total_micros=SeriesClipVariantRow.tip_total_micros + payment.value,
            )
        )
    else:
        await session.execute(
            update(SeriesLimitedSeriesRow)
            .where(SeriesLimitedSeriesRow.id == target.series_id)
            .values(tip_total_micros=SeriesLimitedSeriesRow.tip_total_micros + payment.value)
        )
    payees = payee_ids(agent.id)
    split = await split_payment(
        session,
        total_micros=payment.value,
        shares=[(payees[kind], weight) for kind, weight in SHARES],
        idempotency_key=f"x402:{payment.payer}:{payment.nonce}",
        source=SOURCE,
        external_id=settlement.transaction,
        reason=target.label,
        now=now,
    )
    wallets = {
        "creator": agent.creator_wallet_address,
        "platform": req.pay_to,
        "agent": agent.wallet_address,
    }
    splits = []
    for kind, weight in SHARES:
        amount = split.parts[payees[kind]]
        # The platform's share already sits in its wallet (payTo): paid with the tip itself.
        done = kind == "platform"
        payout = SeriesPayoutRow(
            id=new_id("pay"),
            tip_id=tip_id,
            agent_id=agent.id,
            recipient_type=kind,
            wallet_address=wallets[kind],
            amount_micros=amount,
            split_percent=weight,
            status="completed" if done else "pending",
            tx_hash=settlement.transaction if done else None,
            ledger_transaction=split.transaction.id,
            created_at=now,
            completed_at=now if done else None,
        )
        session.add(payout)
        splits.append(payout_view(payout))
    return {
        "success": True,
        "vote_id": tip_id,
        "tip_amount_cents": cents(payment.value),
        "splits": splits,
        "transaction": settlement.transaction,
    }


def payout_view(p: SeriesPayoutRow) -> dict[str, Any]:
    return {
        "id": p.id,
        "recipient_type": p.recipient_type,
        "wallet_address": p.wallet_address,
        "amount_cents": cents(p.amount_micros),
        "amount_micros": p.amount_micros,
        "split_percent": p.split_percent,
        "status": p.status,
        "tx_hash": p.tx_hash,
        "created_at": p.created_at.isoformat() if p.created_at else None,
        "completed_at": p.completed_at.isoformat() if p.completed_at else None,
    }
