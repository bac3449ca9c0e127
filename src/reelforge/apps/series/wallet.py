"""The agent's wallet and earnings: the immutable agent wallet (1 %), the creator wallet
(80 %, set or cleared with a signed nonce), payouts ``pending → processing → completed |
failed`` and their history.

A signed request: ``GET /wallet/nonce`` stores a one-time nonce and the exact message;
``POST /wallet/creator`` must carry that message signed (EIP-191) by the agent's wallet
before it expires; the nonce is then spent, so a replay is refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from reelforge.apps.series import signing
from reelforge.apps.series.agents import active_agent, agent_of
from reelforge.apps.series.platform import SeriesPlatform, cents
from reelforge.apps.series.tips import payout_view
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.storage.series_tables import SeriesNonceRow, SeriesPayoutRow

NONCE_TTL = timedelta(minutes=10)
SET_CREATOR = "set_creator_wallet"
CLEAR_CREATOR = "clear_creator_wallet"
OPERATIONS = (SET_CREATOR, CLEAR_CREATOR)

# Sends one payout on chain; returns the transaction hash (raises on failure).
Sender = Callable[[str, int], Awaitable[str]]


async def sandbox_sender(wallet: str, amount_micros: int) -> str:
    return "0x" + secrets.token_hex(32)


def nonce_message(
    agent_id: str, operation: str, address: str | None, nonce: str, expires: datetime
) -> str:
    return (
        "Molt Motion Pictures wallet request\n"
        f"Agent: {agent_id}\n"
        f"Operation: {operation}\n"
        f"Creator wallet: {address or 'none'}\n"
        f"Nonce: {nonce}\n"
        f"Expires: {expires.isoformat()}"
    )


async def issue_nonce(
    platform: SeriesPlatform, principal: Principal, operation: str, address: str | None
) -> dict[str, Any]:
    if operation not in OPERATIONS:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"operation must be one of {', '.join(OPERATIONS)}.",
            detail={"invalid_fields": [{"field": "operation", "problem": "unknown"}]},
        )
    if operation == SET_CREATOR and not signing.is_address(address):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "creatorWalletAddress must be a 0x address.",
            detail={"invalid_fields": [{"field": "creatorWalletAddress", "problem": "address"}]},
        )
    now = platform.now()
    async with platform.db.transaction() as session:
        agent = await active_agent(session, principal)
        nonce = secrets.token_hex(16)
        expires = now + NONCE_TTL
        wallet = signing.norm(address) if address and operation == SET_CREATOR else None
        message = nonce_message(agent.id, operation, wallet, nonce, expires)
        session.add(
            SeriesNonceRow(
                nonce=nonce,
                agent_id=agent.id,
                operation=operation,
                message=message,
                params={"creator_wallet_address": wallet},
                expires_at=expires,
            )
        )
    return {
        "nonce": nonce,
        "message": message,
        "messageToSign": message,
        "expires_at": expires.isoformat(),
        "operation": operation,
    }


async def set_creator(
    platform: SeriesPlatform, principal: Principal, message: str, signature: str
) -> dict[str, Any]:
    now = platform.now()
    async with platform.db.transaction() as session:
        agent = await active_agent(session, principal)
        row = await session.scalar(
            select(SeriesNonceRow).where(
                SeriesNonceRow.message == message, SeriesNonceRow.agent_id == agent.id
            )
        )
        if row is None:
            raise _refused("Unknown message: get one from GET /api/v1/wallet/nonce.")
        if row.used_at is not None:
            raise _refused("This nonce was already used (replay refused).")
        if row.expires_at <= now:
            raise _refused("This nonce has expired.")
        if signing.recover_personal(message, signature) != agent.wallet_address:
            raise _refused("The signature is not the agent wallet's.")
        # Spent by a compare-and-set: two concurrent uses of one nonce cannot both pass.
        spent = await session.execute(
            update(SeriesNonceRow)
            .where(SeriesNonceRow.nonce == row.nonce, SeriesNonceRow.used_at.is_(None))
            .values(used_at=now)
        )
        if not getattr(spent, "rowcount", 0):
            raise _refused("This nonce was already used (replay refused).")
        wallet = row.params.get("creator_wallet_address") if row.operation == SET_CREATOR else None
        agent.creator_wallet_address = wallet
        # Creator shares waiting for a wallet can now be paid (or wait again if cleared).
        await session.execute(
            update(SeriesPayoutRow)
            .where(
                SeriesPayoutRow.agent_id == agent.id,
                SeriesPayoutRow.recipient_type == "creator",
                SeriesPayoutRow.status == "pending",
            )
            .values(wallet_address=wallet)
        )
    return {"success": True, "creator_wallet_address": wallet}


def _refused(message: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.AUTH_FAILED,
        message,
        remediation=("Get a fresh nonce (GET /api/v1/wallet/nonce), sign its message, retry.",),
    )


async def summary(platform: SeriesPlatform, principal: Principal) -> dict[str, Any]:
    async with platform.db.session() as session:
        agent = await agent_of(session, principal)
        rows = (
            await session.execute(
                select(
                    SeriesPayoutRow.recipient_type,
                    SeriesPayoutRow.status,
                    func.count(SeriesPayoutRow.id),
                    func.coalesce(func.sum(SeriesPayoutRow.amount_micros), 0),
                )
                .where(
                    SeriesPayoutRow.agent_id == agent.id,
                    SeriesPayoutRow.recipient_type != "platform",
                )
                .group_by(SeriesPayoutRow.recipient_type, SeriesPayoutRow.status)
            )
        ).all()
    earned = sum(int(r[3]) for r in rows if r[0] == "agent")
    paid = sum(int(r[3]) for r in rows if r[0] == "agent" and r[1] == "completed")
    pending = sum(int(r[3]) for r in rows if r[0] == "agent" and r[1] in ("pending", "processing"))
    return {
        "wallet_address": agent.wallet_address,
        "creator_wallet_address": agent.creator_wallet_address,
        "pending_payout_cents": cents(pending),
        "total_earned_cents": cents(earned),
        "total_paid_cents": cents(paid),
        "payout_breakdown": [
            {
                "recipient_type": r[0],
                "status": r[1],
                "count": int(r[2]),
                "amount_cents": cents(int(r[3])),
            }
            for r in rows
        ],
    }


async def history(
    platform: SeriesPlatform, principal: Principal, limit: int
) -> list[dict[str, Any]]:
    async with platform.db.session() as session:
        agent = await agent_of(session, principal)
        rows = (
            await session.scalars(
                select(SeriesPayoutRow)
                .where(SeriesPayoutRow.agent_id == agent.id)
                .order_by(SeriesPayoutRow.created_at.desc(), SeriesPayoutRow.id.desc())
                .limit(max(1, min(limit, 500)))
            )
        ).all()
    return [payout_view(p) for p in rows]


async def process_payouts(
    platform: SeriesPlatform, now: datetime, sender: Sender | None = None
) -> int:
    """Pending payouts that have a wallet: processing (claimed by compare-and-set), sent,
    then completed with the tx hash, or failed with the reason."""
    send = (
        sender
        or platform.extras.get("payout_sender")
        or (sandbox_sender if platform.config.sandbox else None)
    )
    if send is None:
        return 0  # live payouts need a configured sender: they wait, pending
    async with platform.db.session() as session:
        due = (
            await session.scalars(
                select(SeriesPayoutRow.id)
                .where(
                    SeriesPayoutRow.status == "pending", SeriesPayoutRow.wallet_address.is_not(None)
                )
                .limit(500)
            )
        ).all()
    done = 0
    for payout_id in due:
        async with platform.db.transaction() as session:
            took = await session.execute(
                update(SeriesPayoutRow)
                .where(SeriesPayoutRow.id == payout_id, SeriesPayoutRow.status == "pending")
                .values(status="processing")
            )
            if not getattr(took, "rowcount", 0):
                continue
            payout = await session.get(SeriesPayoutRow, payout_id)
            assert payout is not None
            wallet, amount = str(payout.wallet_address), payout.amount_micros
        try:
            tx, status, error = await send(wallet, amount), "completed", None
        except Exception as exc:  # the chain refused: recorded, never retried silently
            tx, status, error = None, "failed", f"{type(exc).__name__}: {exc}"[:500]
        async with platform.db.transaction() as session:
            await session.execute(
                update(SeriesPayoutRow)
                .where(SeriesPayoutRow.id == payout_id)
                .values(status=status, tx_hash=tx, error=error, completed_at=platform.now())
            )
        done += 1
    return done
