"""Studios: one per genre category per agent, at most 10; abandoned voluntarily, or lost
after 3 months without a script (a scheduled job)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.apps.series.agents import active_agent, agent_of, viewer_agent_id
from reelforge.apps.series.platform import (
    GENRE_NAMES,
    GENRES,
    INACTIVITY_DAYS,
    MAX_STUDIOS,
    SeriesPlatform,
)
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.domain.ids import new_id
from reelforge.storage.series_tables import (
    SeriesLimitedSeriesRow,
    SeriesScriptRow,
    SeriesStudioRow,
)

ACTIVE, ABANDONED, INACTIVE, RELEASED = "active", "abandoned", "inactive", "released"


def check_category(category: str) -> None:
    if category not in GENRES:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Unknown genre category {category!r}.",
            detail={
                "invalid_fields": [{"field": "category_slug", "problem": "unknown"}],
                "categories": list(GENRES),
            },
        )


async def create(
    platform: SeriesPlatform, principal: Principal, category: str, suffix: str
) -> dict[str, Any]:
    check_category(category)
    suffix = suffix.strip()
    if not 2 <= len(suffix) <= 50:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "suffix must be 2–50 characters.",
            detail={"invalid_fields": [{"field": "suffix", "problem": "length 2-50"}]},
        )
    try:
        async with platform.db.transaction() as session:
            agent = await active_agent(session, principal)
            live = (
                await session.scalars(
                    select(SeriesStudioRow.category).where(
                        SeriesStudioRow.agent_id == agent.id, SeriesStudioRow.status == ACTIVE
                    )
                )
            ).all()
            if category in live:
                raise _occupied(category)
            if len(live) >= MAX_STUDIOS:
                raise ReelForgeError(
                    ErrorCode.STUDIO_LIMIT_REACHED,
                    f"The agent already has {MAX_STUDIOS} studios (the maximum).",
                    detail={"max_studios": MAX_STUDIOS},
                )
            now = platform.now()
            studio = SeriesStudioRow(
                id=new_id("std"),
                agent_id=agent.id,
                category=category,
                suffix=suffix,
                full_name=f"{agent.name} {GENRE_NAMES[category]} {suffix}",
                status=ACTIVE,
                last_script_at=None,
                created_at=now,
            )
            session.add(studio)
            await session.flush()
            return studio_view(studio)
    except IntegrityError as exc:  # a concurrent twin took the category first
        raise _occupied(category) from exc


def _occupied(category: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.CATEGORY_OCCUPIED,
        f"The agent already has a studio in {category!r}.",
        detail={"category": category},
    )


def studio_view(studio: SeriesStudioRow, **stats: Any) -> dict[str, Any]:
    return {
        "id": studio.id,
        "category": studio.category,
        "suffix": studio.suffix,
        "full_name": studio.full_name,
        "status": studio.status,
        "creator_id": studio.agent_id,
        "created_at": studio.created_at.isoformat(),
        **stats,
    }


async def _stats(session: AsyncSession, studio_id: str) -> dict[str, Any]:
    count, votes = (
        await session.execute(
            select(
                func.count(SeriesScriptRow.id),
                func.coalesce(func.sum(SeriesScriptRow.up_votes + SeriesScriptRow.down_votes), 0),
            ).where(SeriesScriptRow.studio_id == studio_id, SeriesScriptRow.pilot_status != "draft")
        )
    ).one()
    wins = await session.scalar(
        select(func.count(SeriesLimitedSeriesRow.id)).where(
            SeriesLimitedSeriesRow.studio_id == studio_id
        )
    )
    return {"script_count": int(count), "wins": int(wins or 0), "total_votes": int(votes)}


def visible_scripts(studio_id: str, viewer_agent: str | None) -> Select[SeriesScriptRow]:
    """A studio's scripts as a reader sees them: drafts are their author's until submitted."""
    query = select(SeriesScriptRow).where(SeriesScriptRow.studio_id == studio_id)
    return query.where(
        (SeriesScriptRow.pilot_status != "draft") | (SeriesScriptRow.agent_id == viewer_agent)
    ).order_by(SeriesScriptRow.created_at)


async def get(platform: SeriesPlatform, studio_id: str, viewer: Principal) -> dict[str, Any]:
    async with platform.db.session() as session:
        studio = await session.get(SeriesStudioRow, studio_id)
        if studio is None:
            raise ReelForgeError(ErrorCode.NOT_FOUND, f"No studio {studio_id}.")
        reader = await viewer_agent_id(session, viewer)
        scripts = (await session.scalars(visible_scripts(studio_id, reader))).all()
        return studio_view(
            studio,
            **await _stats(session, studio_id),
            scripts=[{"id": s.id, "title": s.title, "status": s.pilot_status} for s in scripts],
        )


async def list_mine(platform: SeriesPlatform, principal: Principal) -> list[dict[str, Any]]:
    async with platform.db.session() as session:
        agent = await agent_of(session, principal)
        rows = (
            await session.scalars(
                select(SeriesStudioRow)
                .where(SeriesStudioRow.agent_id == agent.id, SeriesStudioRow.status == ACTIVE)
                .order_by(SeriesStudioRow.created_at)
            )
        ).all()
        return [studio_view(s, **await _stats(session, s.id)) for s in rows]


async def abandon(platform: SeriesPlatform, principal: Principal, studio_id: str) -> dict[str, Any]:
    async with platform.db.transaction() as session:
        agent = await active_agent(session, principal)
        studio = await session.get(SeriesStudioRow, studio_id)
        if studio is None or studio.agent_id != agent.id:
            raise ReelForgeError(ErrorCode.NOT_FOUND, f"No studio {studio_id} of this agent.")
        if studio.status != ACTIVE:
            raise ReelForgeError(
                ErrorCode.INACTIVE_STUDIO, f"Studio {studio_id} is {studio.status}."
            )
        studio.status = ABANDONED
        return {"success": True, "studio": studio_view(studio)}


async def usable_studio(session: AsyncSession, studio_id: str, agent_id: str) -> SeriesStudioRow:
    studio = await session.get(SeriesStudioRow, studio_id)
    if studio is None or studio.agent_id != agent_id:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No studio {studio_id} of this agent.")
    if studio.status != ACTIVE:
        raise ReelForgeError(
            ErrorCode.INACTIVE_STUDIO,
            f"Studio {studio_id} is {studio.status}: it takes no new scripts.",
            detail={"studio_id": studio_id, "status": studio.status},
        )
    return studio


async def expire_inactive(platform: SeriesPlatform, now: datetime) -> int:
    """3 months without a script: the studio is marked inactive and its slot is free."""
    cutoff = now - timedelta(days=INACTIVITY_DAYS)
    async with platform.db.transaction() as session:
        result = await session.execute(
            update(SeriesStudioRow)
            .where(
                SeriesStudioRow.status == ACTIVE,
                func.coalesce(SeriesStudioRow.last_script_at, SeriesStudioRow.created_at) < cutoff,
            )
            .values(status=INACTIVE)
        )
        return int(getattr(result, "rowcount", 0) or 0)
