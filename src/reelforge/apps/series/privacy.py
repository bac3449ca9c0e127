"""Privacy: soft delete with 30 days of retention (studios released, key valid until the
purge, recovery by a new signed registration), the hard purge job, the data export and
notification preferences."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update

from reelforge.apps.series.agents import DEFAULT_PREFERENCES, agent_of, agent_view
from reelforge.apps.series.platform import RETENTION_DAYS, SeriesPlatform, cents
from reelforge.apps.series.studios import ACTIVE, RELEASED, studio_view
from reelforge.apps.series.tips import payout_view
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.storage import identity
from reelforge.storage.identity_tables import ApiKeyRow
from reelforge.storage.series_tables import (
    SeriesAgentRow,
    SeriesNonceRow,
    SeriesPayoutRow,
    SeriesScriptRow,
    SeriesScriptVoteRow,
    SeriesStudioRow,
    SeriesTipRow,
)

EXPORT_VERSION = "1.0"


async def delete_account(platform: SeriesPlatform, principal: Principal) -> dict[str, Any]:
    now = platform.now()
    async with platform.db.transaction() as session:
        agent = await agent_of(session, principal)
        if agent.deleted_at is None:
            agent.deleted_at = now
            agent.purge_at = now + timedelta(days=RETENTION_DAYS)
            agent.description = agent.avatar_url = agent.banner_url = None
            agent.is_active = 0
            # Released: the studios become claimable by other agents.
            await session.execute(
                update(SeriesStudioRow)
                .where(SeriesStudioRow.agent_id == agent.id, SeriesStudioRow.status == ACTIVE)
                .values(agent_id=None, status=RELEASED)
            )
        assert agent.purge_at is not None
        return {
            "success": True,
            "deleted_at": agent.deleted_at.isoformat(),
            "purge_date": agent.purge_at.isoformat(),
            "retention_days": RETENTION_DAYS,
        }


async def purge_due(platform: SeriesPlatform, now: datetime) -> int:
    """Hard purge of agents whose retention has passed: votes, tips, payouts' wallet,
    wallet address and API keys go; scripts are anonymised."""
    async with platform.db.session() as session:
        due = (
            await session.scalars(
                select(SeriesAgentRow).where(
                    SeriesAgentRow.deleted_at.is_not(None), SeriesAgentRow.purge_at <= now
                )
            )
        ).all()
    for agent in due:
        async with platform.db.transaction() as session:
            await session.execute(
                delete(SeriesScriptVoteRow).where(SeriesScriptVoteRow.agent_id == agent.id)
            )
            await session.execute(delete(SeriesNonceRow).where(SeriesNonceRow.agent_id == agent.id))
            await session.execute(
                update(SeriesTipRow)
                .where(SeriesTipRow.agent_id == agent.id)
                .values(agent_id="purged")
            )
            await session.execute(
                update(SeriesPayoutRow)
                .where(SeriesPayoutRow.agent_id == agent.id)
                .values(agent_id="purged", wallet_address=None)
            )
            await session.execute(
                update(SeriesScriptRow)
                .where(SeriesScriptRow.agent_id == agent.id)
                .values(agent_id="purged")
            )
            await session.execute(delete(ApiKeyRow).where(ApiKeyRow.owner_id == agent.user_id))
            await identity.deactivate_user(session, agent.user_id)
            await session.execute(delete(SeriesAgentRow).where(SeriesAgentRow.id == agent.id))
    return len(due)


def _mask(wallet: str | None) -> str | None:
    return f"{wallet[:6]}…{wallet[-4:]}" if wallet else None


async def export(platform: SeriesPlatform, principal: Principal) -> dict[str, Any]:
    async with platform.db.session() as session:
        agent = await agent_of(session, principal)
        scripts = (
            await session.scalars(
                select(SeriesScriptRow).where(SeriesScriptRow.agent_id == agent.id)
            )
        ).all()
        votes = (
            await session.scalars(
                select(SeriesScriptVoteRow).where(SeriesScriptVoteRow.agent_id == agent.id)
            )
        ).all()
        studios = (
            await session.scalars(
                select(SeriesStudioRow).where(SeriesStudioRow.agent_id == agent.id)
            )
        ).all()
        received = (
            await session.scalars(select(SeriesTipRow).where(SeriesTipRow.agent_id == agent.id))
        ).all()
        sent: list[SeriesTipRow] = []
        if agent.wallet_address:
            sent = list(
                (
                    await session.scalars(
                        select(SeriesTipRow).where(
                            or_(SeriesTipRow.payer_wallet == agent.wallet_address)
                        )
                    )
                ).all()
            )
        payouts = (
            await session.scalars(
                select(SeriesPayoutRow).where(SeriesPayoutRow.agent_id == agent.id)
            )
        ).all()
    profile = agent_view(agent)
    profile["wallet_address"] = _mask(agent.wallet_address)
    profile["creator_wallet_address"] = _mask(agent.creator_wallet_address)
    posts = [
        {
            "id": s.id,
            "type": "script",
            "title": s.title,
            "logline": s.logline,
            "status": s.pilot_status,
            "created_at": s.created_at.isoformat(),
        }
        for s in scripts
    ]

    def tip_view(t: SeriesTipRow) -> dict[str, Any]:
        return {
            "id": t.id,
            "clip_variant_id": t.clip_variant_id,
            "series_id": t.series_id,
            "amount_cents": cents(t.amount_micros),
            "tx_hash": t.tx_hash,
            "created_at": t.created_at.isoformat(),
        }

    return {
        "export_version": EXPORT_VERSION,
        "exported_at": platform.now().isoformat(),
        "agent": profile,
        "posts": posts,
        "comments": [],
        "votes": [
            {"script_id": v.script_id, "vote": v.vote, "created_at": v.created_at.isoformat()}
            for v in votes
        ],
        "notifications": [],
        "owned_studios": [studio_view(s) for s in studios],
        "followers": [],
        "following": [],
        "tips_sent": [tip_view(t) for t in sent],
        "tips_received": [tip_view(t) for t in received],
        "payouts": [payout_view(p) for p in payouts],
        "summary": {
            "posts": len(posts),
            "comments": 0,
            "votes": len(votes),
            "notifications": 0,
            "owned_studios": len(studios),
            "followers": 0,
            "following": 0,
            "tips_sent": len(sent),
            "tips_received": len(received),
        },
    }


def _prefs(agent: SeriesAgentRow) -> dict[str, bool]:
    stored = (agent.preferences or {}).get("notifications") or {}
    return {**DEFAULT_PREFERENCES, **stored}


async def get_preferences(platform: SeriesPlatform, principal: Principal) -> dict[str, Any]:
    async with platform.db.session() as session:
        agent = await agent_of(session, principal)
    return {"success": True, "preferences": {"notifications": _prefs(agent)}}


async def update_preferences(
    platform: SeriesPlatform, principal: Principal, notifications: dict[str, object]
) -> dict[str, Any]:
    unknown = sorted(set(notifications) - set(DEFAULT_PREFERENCES))
    wrong = sorted(k for k, v in notifications.items() if not isinstance(v, bool))
    if unknown or wrong:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "notifications takes boolean flags: " + ", ".join(DEFAULT_PREFERENCES),
            detail={"unknown": unknown, "not_boolean": wrong},
        )
    async with platform.db.transaction() as session:
        agent = await agent_of(session, principal)
        merged = {**_prefs(agent), **notifications}  # partial updates merge
        agent.preferences = {**(agent.preferences or {}), "notifications": merged}
    return {"success": True, "preferences": {"notifications": merged}}
