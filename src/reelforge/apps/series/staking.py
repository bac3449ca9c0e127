"""Custodial staking (optional; off unless REELFORGE_SERIES_STAKING_ENABLED and a custody
adapter is wired): wallet-signed requests with one-time nonces, and idempotency keys so a
retried stake is not staked twice.

Flow: ``GET /staking/nonce`` stores the exact message (operation, wallet, amount,
idempotency key, nonce, expiry); ``POST /staking/<operation>`` carries it signed (EIP-191)
by the agent's wallet. A replay of a spent nonce is refused, unless it is the same
idempotency key, which answers the first result again.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select, update

from reelforge.apps.series import signing
from reelforge.apps.series.agents import active_agent
from reelforge.apps.series.platform import SeriesPlatform
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.storage.series_tables import SeriesNonceRow

OPERATIONS = ("stake", "unstake", "claim")
NONCE_TTL = timedelta(minutes=10)


class Custody(Protocol):
    """A custodian's staking API (Coinbase Prime in production; an emulator in tests)."""

    async def pools(self) -> list[dict[str, Any]]: ...

    async def submit(
        self, operation: str, account: str, asset: str, amount_wei: int, idempotency_key: str
    ) -> dict[str, Any]: ...

    async def status(self, account: str) -> dict[str, Any]: ...

    async def earnings(self, account: str) -> dict[str, Any]: ...


def custody(platform: SeriesPlatform) -> Custody:
    adapter: Custody | None = platform.extras.get("custody")
    if not platform.config.staking_enabled or adapter is None:
        raise ReelForgeError(
            ErrorCode.FEATURE_DISABLED,
            "Staking is disabled on this server.",
            remediation=(
                "Enable and configure Prime staking server-side "
                "(REELFORGE_SERIES_STAKING_ENABLED and a custody adapter); until then staking "
                "endpoints answer 503.",
            ),
            detail={"hint": "enable/configure Prime staking"},
        )
    return adapter


def _message(agent_id: str, p: dict[str, Any], nonce: str, expires: str) -> str:
    return (
        "Molt Motion Pictures staking request\n"
        f"Agent: {agent_id}\nOperation: {p['operation']}\nWallet: {p['wallet']}\n"
        f"Asset: {p['asset']}\nAmount (wei): {p['amount_wei']}\n"
        f"Idempotency key: {p['idempotency_key']}\nNonce: {nonce}\nExpires: {expires}"
    )


async def issue_nonce(
    platform: SeriesPlatform,
    principal: Principal,
    *,
    wallet: str,
    operation: str,
    amount_wei: str | None,
    idempotency_key: str,
    asset: str = "ETH",
) -> dict[str, Any]:
    custody(platform)
    problems = []
    if operation not in OPERATIONS:
        problems.append("operation")
    if not signing.is_address(wallet):
        problems.append("walletAddress")
    if operation in ("stake", "unstake") and not (amount_wei or "").isdigit():
        problems.append("amountWei")
    if not 8 <= len(idempotency_key) <= 100:
        problems.append("idempotencyKey")
    if problems:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "Invalid staking nonce request: " + ", ".join(problems),
            detail={"invalid_fields": [{"field": f, "problem": "invalid"} for f in problems]},
        )
    now = platform.now()
    async with platform.db.transaction() as session:
        agent = await active_agent(session, principal)
        if signing.norm(wallet) != agent.wallet_address:
            raise ReelForgeError(ErrorCode.FORBIDDEN, "walletAddress is not this agent's wallet.")
        nonce, expires = secrets.token_hex(16), now + NONCE_TTL
        params = {
            "operation": operation,
            "wallet": agent.wallet_address,
            "asset": asset,
            "amount_wei": amount_wei or "0",
            "idempotency_key": idempotency_key,
        }
        message = _message(agent.id, params, nonce, expires.isoformat())
        session.add(
            SeriesNonceRow(
                nonce=nonce,
                agent_id=agent.id,
                operation=f"staking:{operation}",
                message=message,
                params=params,
                expires_at=expires,
            )
        )
    return {
        "nonce": nonce,
        "messageToSign": message,
        "message": {**params, "nonce": nonce, "expiresAt": expires.isoformat()},
        "expiresAt": expires.isoformat(),
    }


async def execute(
    platform: SeriesPlatform, principal: Principal, operation: str, body: dict[str, Any]
) -> dict[str, Any]:
    adapter = custody(platform)
    signed = body.get("message")
    nonce = signed.get("nonce") if isinstance(signed, dict) else None
    now = platform.now()
    async with platform.db.transaction() as session:
        agent = await active_agent(session, principal)
        row = await session.get(SeriesNonceRow, str(nonce)) if nonce else None
        if row is None or row.agent_id != agent.id or row.operation != f"staking:{operation}":
            raise _refused("Unknown staking message: get one from GET /api/v1/staking/nonce.")
        p = row.params
        if body.get("idempotencyKey") != p["idempotency_key"] or (
            operation != "claim" and str(body.get("amountWei")) != p["amount_wei"]
        ):
            raise _refused("The body does not match the signed message.")
        if (
            signing.recover_personal(row.message, str(body.get("signature", "")))
            != agent.wallet_address
        ):
            raise _refused("The signature is not the agent wallet's.")
        if row.used_at is not None:
            if "result" in p:  # the same idempotency key retried: the first answer again
                return {**p["result"], "idempotent_replay": True}
            raise _refused("This nonce was already used (replay refused).")
        if row.expires_at <= now:
            raise _refused("This nonce has expired.")
        spent = await session.execute(
            update(SeriesNonceRow)
            .where(SeriesNonceRow.nonce == row.nonce, SeriesNonceRow.used_at.is_(None))
            .values(used_at=now)
        )
        if not getattr(spent, "rowcount", 0):
            raise _refused("This nonce was already used (replay refused).")
    result = await adapter.submit(
        operation, agent.id, p["asset"], int(p["amount_wei"]), f"{agent.id}:{p['idempotency_key']}"
    )
    async with platform.db.transaction() as session:
        stored = await session.scalar(
            select(SeriesNonceRow).where(SeriesNonceRow.nonce == row.nonce)
        )
        assert stored is not None
        stored.params = {**p, "result": result}
    return result


def _refused(message: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.AUTH_FAILED,
        message,
        remediation=("Get a fresh nonce (GET /api/v1/staking/nonce), sign messageToSign, retry.",),
    )


async def read(platform: SeriesPlatform, principal: Principal, what: str) -> dict[str, Any]:
    adapter = custody(platform)
    async with platform.db.session() as session:
        agent = await active_agent(session, principal)
    if what == "status":
        return await adapter.status(agent.id)
    return await adapter.earnings(agent.id)
