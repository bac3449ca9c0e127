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
from reelforge.apps.series.payouts import PayoutError, PayoutRail, SandboxRail
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
    """Pending payouts that have a wallet go out; returns how many were sent.

    With a payout rail (payouts.py: the EVM rail live, the sandbox rail in sandbox) each
    is signed, its hash recorded, broadcast, then confirmed by its receipt (this run or a
    later one). ``sender`` (a plain function: wallet, amount → tx hash) sends in one step."""
    send = sender or platform.extras.get("payout_sender")
    if send is not None:
        return await _send_each(platform, send)
    rail = platform.extras.get("payout_rail") or (
        SandboxRail() if platform.config.sandbox else None
    )
    if rail is None:
        return 0  # live payouts need a rail (REELFORGE_SERIES_PAYOUT_RPC_URL): they wait
    await _confirm_sent(platform, rail)
    try:
        return await _send_by_rail(platform, rail)
    finally:
        await rail.finish_batch()


async def _due(platform: SeriesPlatform) -> list[str]:
    async with platform.db.session() as session:
        return list(
            (
                await session.scalars(
                    select(SeriesPayoutRow.id)
                    .where(
                        SeriesPayoutRow.status == "pending",
                        SeriesPayoutRow.wallet_address.is_not(None),
                    )
                    .order_by(SeriesPayoutRow.created_at)
                    .limit(500)
                )
            ).all()
        )


async def _claim(platform: SeriesPlatform, payout_id: str) -> tuple[str, int] | None:
    """pending → processing by compare-and-set: one process sends each payout."""
    async with platform.db.transaction() as session:
        took = await session.execute(
            update(SeriesPayoutRow)
            .where(SeriesPayoutRow.id == payout_id, SeriesPayoutRow.status == "pending")
            .values(status="processing")
        )
        if not getattr(took, "rowcount", 0):
            return None
        payout = await session.get(SeriesPayoutRow, payout_id)
        assert payout is not None
        return str(payout.wallet_address), payout.amount_micros


async def _set(platform: SeriesPlatform, payout_id: str, **values: Any) -> None:
    async with platform.db.transaction() as session:
        await session.execute(
            update(SeriesPayoutRow).where(SeriesPayoutRow.id == payout_id).values(**values)
        )


async def _send_each(platform: SeriesPlatform, send: Sender) -> int:
    done = 0
    for payout_id in await _due(platform):
        claimed = await _claim(platform, payout_id)
        if claimed is None:
            continue
        try:
            tx, status, error = await send(*claimed), "completed", None
        except Exception as exc:  # the chain refused: recorded, never retried silently
            tx, status, error = None, "failed", f"{type(exc).__name__}: {exc}"[:500]
        await _set(
            platform, payout_id, status=status, tx_hash=tx, error=error, completed_at=platform.now()
        )
        done += 1
    return done


async def _send_by_rail(platform: SeriesPlatform, rail: PayoutRail) -> int:
    done = 0
    for payout_id in await _due(platform):
        claimed = await _claim(platform, payout_id)
        if claimed is None:
            continue
        try:
            prepared = await rail.prepare(*claimed)
        except ConnectionError:
            await _set(platform, payout_id, status="pending")  # nothing was sent: next run
            break
        except PayoutError as exc:
            await _set(platform, payout_id, status="failed", error=str(exc)[:500])
            await rail.finish_batch()
            continue
        # The hash is on record before anything leaves: a crash from here on is found
        # again by its receipt, never sent twice.
        await _set(platform, payout_id, tx_hash=prepared.tx_hash)
        try:
            await rail.broadcast(prepared)
        except PayoutError as exc:  # refused by the node: it is not on chain
            await _set(platform, payout_id, status="failed", error=str(exc)[:500])
            await rail.finish_batch()  # its nonce was not used: ask the chain again
            continue
        except ConnectionError:
            await rail.finish_batch()  # unknown: left processing, its receipt decides
            break
        done += 1
        await _confirm_one(platform, rail, payout_id, prepared.tx_hash)
    return done


async def _confirm_one(
    platform: SeriesPlatform, rail: PayoutRail, payout_id: str, tx_hash: str
) -> None:
    try:
        ok = await rail.confirm(tx_hash)
    except (ConnectionError, PayoutError):
        return
    if ok is None:
        return
    await _set(
        platform,
        payout_id,
        status="completed" if ok else "failed",
        error=None if ok else "The transfer reverted on chain.",
        completed_at=platform.now(),
    )


async def _confirm_sent(platform: SeriesPlatform, rail: PayoutRail) -> None:
    async with platform.db.session() as session:
        sent = (
            await session.execute(
                select(SeriesPayoutRow.id, SeriesPayoutRow.tx_hash).where(
                    SeriesPayoutRow.status == "processing", SeriesPayoutRow.tx_hash.is_not(None)
                )
            )
        ).all()
    for payout_id, tx_hash in sent:
        await _confirm_one(platform, rail, payout_id, str(tx_hash))
