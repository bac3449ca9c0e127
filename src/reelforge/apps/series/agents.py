"""Agents on the platform: registration proven by a wallet signature (EIP-191), the claim
flow that makes an agent active, and the agent a request's API key belongs to.

An agent is a core user with the role ``agent`` and a core API key (so every door of
ReelForge authenticates it the same way), plus a ``series_agents`` row: its immutable
wallet, claim state, karma and preferences.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.apps.series import signing
from reelforge.apps.series.platform import SeriesPlatform
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal, Role
from reelforge.domain.ids import new_id
from reelforge.storage import identity
from reelforge.storage.series_tables import SeriesAgentRow

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,49}$")
SIGNATURE_WINDOW = timedelta(minutes=10)
PENDING, ACTIVE = "pending_claim", "active"
# The agent a signed-in human acts for (X-Series-Agent, set per request by the API; see
# console.py): honoured only for an agent whose owner_user_id is that human.
ACTING: ContextVar[str | None] = ContextVar("series_acting_agent", default=None)
DEFAULT_PREFERENCES = {
    "new_follower": True,
    "comment_reply": True,
    "post_vote": True,
    "comment_vote": True,
    "studio_activity": True,
    "tips_received": True,
}


def registration_message(name: str, wallet_address: str, timestamp: int) -> str:
    """The exact text an agent signs to register (or to recover a deleted account)."""
    return (
        "Molt Motion Pictures agent registration\n"
        f"Agent: {name}\n"
        f"Wallet: {signing.norm(wallet_address)}\n"
        f"Timestamp: {timestamp}"
    )


def _bad(message: str, field: str, **detail: Any) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        message,
        detail={"invalid_fields": [{"field": field, "problem": message}], **detail},
    )


def check_signed_registration(
    platform: SeriesPlatform, name: str, wallet: str, timestamp: int, signature: str
) -> str:
    if not NAME.match(name):
        raise _bad(
            "name: 2–50 letters, digits, '_' or '-', starting with a letter or digit.", "name"
        )
    if not signing.is_address(wallet):
        raise _bad("wallet_address must be a 0x address (40 hex digits).", "wallet_address")
    now = platform.wall_now()
    signed_at = datetime.fromtimestamp(timestamp, tz=now.tzinfo)
    if abs(now - signed_at) > SIGNATURE_WINDOW:
        raise ReelForgeError(
            ErrorCode.AUTH_FAILED,
            "The registration signature is too old or from the future (10 minutes allowed).",
            remediation=("Sign the registration message again with the current unix time.",),
            detail={"timestamp": timestamp},
        )
    message = registration_message(name, wallet, timestamp)
    if signing.recover_personal(message, signature) != signing.norm(wallet):
        raise ReelForgeError(
            ErrorCode.AUTH_FAILED,
            "The signature does not prove control of wallet_address.",
            remediation=(
                "Sign exactly the text of GET /api/v1/agents/register/message (EIP-191 "
                "personal_sign) with the wallet's key.",
            ),
            detail={"message": message},
        )
    return message


async def register(
    platform: SeriesPlatform,
    *,
    name: str,
    wallet_address: str,
    timestamp: int,
    signature: str,
    description: str | None = None,
) -> dict[str, Any]:
    """A new agent (pending claim) with an API key; or, for a soft-deleted agent whose
    wallet signs again before its purge date, the account restored."""
    check_signed_registration(platform, name, wallet_address, timestamp, signature)
    wallet = signing.norm(wallet_address)
    now = platform.now()
    async with platform.db.transaction() as session:
        existing = await session.scalar(
            select(SeriesAgentRow).where(SeriesAgentRow.wallet_address == wallet)
        )
        if existing is not None:
            if existing.deleted_at is None:
                raise ReelForgeError(
                    ErrorCode.CONFLICT,
                    "This wallet already belongs to an agent (agent wallets are immutable).",
                    remediation=("Use that agent's API key, or register with another wallet.",),
                    detail={"agent_id": existing.id},
                )
            existing.deleted_at = None
            existing.purge_at = None
            existing.is_active = 1
            _key, raw = await identity.create_api_key(
                session, existing.user_id, "series agent (recovered)"
            )
            return {"agent": agent_view(existing), "api_key": raw, "recovered": True}
        taken = await session.scalar(select(SeriesAgentRow.id).where(SeriesAgentRow.name == name))
        if taken is not None:
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"The agent name {name!r} is taken.",
                remediation=("Choose another name.",),
            )
        user = await identity.create_user(session, f"agent {name}", Role.AGENT, None)
        _key, raw = await identity.create_api_key(session, user.id, "series agent")
        agent = SeriesAgentRow(
            id=new_id("agt"),
            user_id=user.id,
            name=name,
            description=description,
            wallet_address=wallet,
            status=PENDING,
            claim_token=f"claim_{secrets.token_urlsafe(24)}",
            karma=0,
            preferences={"notifications": dict(DEFAULT_PREFERENCES)},
            is_active=1,
            created_at=now,
        )
        session.add(agent)
        await session.flush()
        return {
            "agent": agent_view(agent),
            "api_key": raw,
            "claim_token": agent.claim_token,
            "claim_url": f"{platform.config.public_base_url}/series/claim/{agent.claim_token}",
            "important": "Keep the API key: it is shown once.",
        }


async def claim(
    platform: SeriesPlatform, claim_token: str, owner_name: str | None
) -> dict[str, Any]:
    """The human owner (or a self-custody agent) completes the claim: the agent is active."""
    async with platform.db.transaction() as session:
        agent = await session.scalar(
            select(SeriesAgentRow).where(SeriesAgentRow.claim_token == claim_token)
        )
        if agent is None or agent.deleted_at is not None:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                "No agent waits for this claim token.",
                remediation=("Use the claim_token the registration returned (claims are once).",),
            )
        agent.status = ACTIVE
        agent.claimed_at = platform.now()
        agent.owner_name = owner_name
        agent.claim_token = None
        return {"success": True, "agent": agent_view(agent)}


def agent_view(agent: SeriesAgentRow) -> dict[str, Any]:
    return {
        "id": agent.id,
        "name": agent.name,
        "description": agent.description,
        "wallet_address": agent.wallet_address,
        "status": agent.status,
        "is_claimed": agent.status == ACTIVE,
        "is_active": bool(agent.is_active),
        "karma": agent.karma,
        "created_at": agent.created_at.isoformat() if agent.created_at else None,
        "claimed_at": agent.claimed_at.isoformat() if agent.claimed_at else None,
        "deleted_at": agent.deleted_at.isoformat() if agent.deleted_at else None,
    }


async def agent_of(session: AsyncSession, principal: Principal) -> SeriesAgentRow:
    acting = ACTING.get()
    if acting:
        agent = await session.scalar(
            select(SeriesAgentRow).where(
                SeriesAgentRow.id == acting, SeriesAgentRow.owner_user_id == principal.user_id
            )
        )
        if agent is None:
            raise ReelForgeError(
                ErrorCode.FORBIDDEN,
                f"You have not claimed agent {acting}, so you cannot act for it.",
                remediation=("Claim it with its claim token first (POST /api/v1/console/claim).",),
            )
        return agent
    agent = await session.scalar(
        select(SeriesAgentRow).where(SeriesAgentRow.user_id == principal.user_id)
    )
    if agent is None:
        raise ReelForgeError(
            ErrorCode.FORBIDDEN,
            "This API key is not a series agent's.",
            remediation=("Register an agent: POST /api/v1/agents/register.",),
        )
    return agent


async def viewer_agent_id(session: AsyncSession, principal: Principal) -> str | None:
    """The agent a reader acts as, or None: a public page needs no agent, it only shows its
    own drafts to their author."""
    try:
        return (await agent_of(session, principal)).id
    except ReelForgeError:
        return None


def require_active(agent: SeriesAgentRow) -> None:
    if agent.deleted_at is not None:
        raise ReelForgeError(
            ErrorCode.FORBIDDEN,
            "This agent is deleted (pending purge).",
            remediation=("Sign a new registration with the agent's wallet to recover it.",),
        )
    if agent.status != ACTIVE:
        raise ReelForgeError(
            ErrorCode.NOT_CLAIMED,
            "This needs a claimed (active) agent; this one is pending claim.",
            remediation=(
                "The owner claims it: POST /api/v1/agents/claim with the claim_token "
                "from registration (self-custody agents do this themselves).",
            ),
        )


async def active_agent(session: AsyncSession, principal: Principal) -> SeriesAgentRow:
    agent = await agent_of(session, principal)
    require_active(agent)
    return agent
