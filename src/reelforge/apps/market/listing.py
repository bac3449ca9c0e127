"""Reading the marketplace: the agents listing (one query whatever the filter: the seed's
UNION of user agents and external agents becomes one table with a ``source``), an agent's
profile with its services and recent posts, services and posts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, or_, select

from reelforge.apps.market.views import agent_view, dollars, post_view, service_view
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.db import Database
from reelforge.storage.market_tables import MarketAgentRow, MarketPostRow, MarketServiceRow

SOURCES = ("official", "agentgram", "external")
CATEGORIES = ("image_gen", "video_gen", "audio_gen", "avatar", "edit", "other")
MAX_LIMIT = 200

A = MarketAgentRow.__table__.c
S = MarketServiceRow.__table__.c


def check_source(source: str | None) -> None:
    if source is not None and source not in SOURCES:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Unknown source {source!r}.",
            detail={"param": "source", "allowed": list(SOURCES)},
            remediation=(f"Use one of: {', '.join(SOURCES)} (or leave it out for all).",),
        )


def _listing(source: str | None, category: str | None, q: str | None) -> Any:
    stmt = select(*MarketAgentRow.__table__.columns)
    if source == "official":
        stmt = stmt.where(A.is_atelier_official == 1)
    elif source is not None:
        stmt = stmt.where(A.source == source, A.is_atelier_official == 0)
    if category:
        stmt = stmt.where(
            exists().where(S.agent_id == A.id, S.category == category, S.active.is_(True))
        )
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(A.name).like(like), func.lower(A.description).like(like)))
    return stmt


async def list_agents(
    db: Database,
    *,
    source: str | None = None,
    category: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """One page of agents, official first then by name, each with a summary of its active
    services (count, categories, the lowest price).

    Official first, as two range reads of the ``(is_atelier_official, name)`` index (the
    few official agents, then the others from where the page starts) rather than one
    ``ORDER BY is_atelier_official DESC, name``: mixed directions cannot follow the
    index, so that sorted every agent on every page."""
    check_source(source)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    base = _listing(source, category, q)
    want = limit + 1  # one more than the page: is there a next page?
    async with db.session() as session:
        rows: list[dict[str, Any]] = []
        if source in (None, "official"):
            official = (
                base.where(A.is_atelier_official == 1).order_by(A.name, A.id).limit(offset + want)
            )
            firsts = [dict(r) for r in (await session.execute(official)).mappings()]
            rows = firsts[offset:]
            skip = max(0, offset - len(firsts))
        else:
            skip = offset
        if source != "official" and len(rows) < want:
            others = (
                base.where(A.is_atelier_official == 0)
                .order_by(A.name, A.id)
                .limit(want - len(rows))
                .offset(skip)
            )
            rows += [dict(r) for r in (await session.execute(others)).mappings()]
        more = len(rows) > limit
        rows = rows[:limit]
        summary: dict[str, dict[str, Any]] = {}
        if rows:
            found = await session.execute(
                select(S.agent_id, S.category, func.count(), func.min(S.price_micros))
                .where(S.agent_id.in_([r["id"] for r in rows]), S.active.is_(True))
                .group_by(S.agent_id, S.category)
            )
            got: list[tuple[Any, str, int, int]] = [tuple(r) for r in found]  # type: ignore[misc]
            for agent_id, cat, count, lowest in got:
                entry = summary.setdefault(
                    str(agent_id), {"services_count": 0, "categories": [], "min_price_micros": None}
                )
                entry["services_count"] += int(count)
                entry["categories"].append(cat)
                low = int(lowest)
                if entry["min_price_micros"] is None or low < entry["min_price_micros"]:
                    entry["min_price_micros"] = low
    items = []
    for row in rows:
        entry = summary.get(
            row["id"], {"services_count": 0, "categories": [], "min_price_micros": None}
        )
        low = entry["min_price_micros"]
        items.append(
            {
                **agent_view(row),
                **entry,
                "categories": sorted(entry["categories"]),
                "price_from": dollars(low) if low is not None else None,
            }
        )
    return {
        "agents": items,
        "count": len(items),
        "offset": max(0, offset),
        "next_offset": offset + limit if more else None,
    }


async def get_agent(db: Database, agent_id: str) -> MarketAgentRow:
    async with db.session() as session:
        row = await session.get(MarketAgentRow, agent_id)
    if row is None:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND,
            f"No agent {agent_id!r}.",
            detail={"agent_id": agent_id},
            remediation=("List agents: GET /api/atelier/agents.",),
        )
    return row


async def agent_services(
    db: Database, agent_id: str, *, active_only: bool = True
) -> list[MarketServiceRow]:
    stmt = select(MarketServiceRow).where(MarketServiceRow.agent_id == agent_id)
    if active_only:
        stmt = stmt.where(MarketServiceRow.active.is_(True))
    async with db.session() as session:
        rows = (await session.execute(stmt.order_by(MarketServiceRow.position))).scalars()
        return list(rows)


async def agent_profile(db: Database, agent_id: str, *, posts: int = 12) -> dict[str, Any]:
    agent = await get_agent(db, agent_id)
    services = await agent_services(db, agent_id)
    recent = await list_posts(db, agent_id=agent_id, limit=posts)
    return {
        "agent": {**agent_view(agent), "services_count": len(services)},
        "services": [service_view(s) for s in services],
        "recent_posts": recent,
    }


async def get_service(db: Database, service_id: str) -> MarketServiceRow:
    async with db.session() as session:
        row = await session.get(MarketServiceRow, service_id)
    if row is None:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND,
            f"No service {service_id!r}.",
            detail={"service_id": service_id},
            remediation=("An agent's services: GET /api/atelier/agents/{id}.",),
        )
    return row


async def list_services(
    db: Database, *, category: str | None = None, agent_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    stmt = select(MarketServiceRow).where(MarketServiceRow.active.is_(True))
    if category:
        stmt = stmt.where(MarketServiceRow.category == category)
    if agent_id:
        stmt = stmt.where(MarketServiceRow.agent_id == agent_id)
    stmt = stmt.order_by(MarketServiceRow.agent_id, MarketServiceRow.position)
    async with db.session() as session:
        rows = (await session.execute(stmt.limit(max(1, min(limit, 500))))).scalars()
        return [service_view(r) for r in rows]


async def list_posts(
    db: Database, *, agent_id: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    stmt = select(MarketPostRow)
    if agent_id:
        stmt = stmt.where(MarketPostRow.agent_id == agent_id)
    stmt = stmt.order_by(MarketPostRow.created_at.desc()).limit(max(1, min(limit, 100)))
    async with db.session() as session:
        return [post_view(p) for p in (await session.execute(stmt)).scalars()]


async def get_post(db: Database, post_id: str) -> MarketPostRow:
    async with db.session() as session:
        row = await session.get(MarketPostRow, post_id)
    if row is None:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND, f"No post {post_id!r}.", detail={"post_id": post_id}
        )
    return row
