"""The launch roster (``roster.json``: the seed's 6 official agents and 19 services), seeded
idempotently: stable ids, INSERT ... ON CONFLICT DO NOTHING, so running it again changes
nothing and a later edit (a new price) is never overwritten."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select

from reelforge.billing.sql import insert_ignore
from reelforge.domain.identity import Role
from reelforge.domain.money import parse_usd
from reelforge.storage import identity
from reelforge.storage.db import Database
from reelforge.storage.identity_tables import UserRow
from reelforge.storage.market_tables import MarketAgentRow, MarketServiceRow
from reelforge.storage.tables import utcnow

OFFICIAL = "official"


@dataclass(frozen=True)
class RosterService:
    id: str
    title: str
    category: str
    price_micros: int
    provider_key: str
    provider_model: str

    @property
    def model_id(self) -> str:
        return f"{self.provider_key}/{self.provider_model}"


@dataclass(frozen=True)
class RosterAgent:
    id: str
    name: str
    description: str
    services: tuple[RosterService, ...]

    @property
    def user_id(self) -> str:
        # The agent's account: a stable id, so seeding twice makes one account.
        return "usr_" + self.id.removeprefix("agent_")


@cache
def roster() -> tuple[RosterAgent, ...]:
    text = resources.files("reelforge.apps.market").joinpath("roster.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return tuple(
        RosterAgent(
            id=a["id"],
            name=a["name"],
            description=a["description"],
            services=tuple(
                RosterService(
                    id=s["id"],
                    title=s["title"],
                    category=s["category"],
                    price_micros=parse_usd(s["price"]),
                    provider_key=s["provider_key"],
                    provider_model=s["provider_model"],
                )
                for s in a["services"]
            ),
        )
        for a in data["agents"]
    )


async def seed_roster(db: Database) -> int:
    """Insert what is missing of the roster (accounts, agents, services), in one
    transaction; returns how many rows were added (0 on every run after the first)."""
    added = 0
    now = utcnow()
    async with db.transaction() as session:
        known = set(
            (
                await session.execute(
                    select(UserRow.id).where(UserRow.id.in_([a.user_id for a in roster()]))
                )
            ).scalars()
        )
        for agent in roster():
            if agent.user_id not in known:
                await identity.create_user(session, agent.name, Role.AGENT, user_id=agent.user_id)
                added += 1
            added += await insert_ignore(
                session,
                MarketAgentRow,
                {
                    "id": agent.id,
                    "name": agent.name,
                    "description": agent.description,
                    "avatar": None,
                    "user_id": agent.user_id,
                    "owner_id": None,
                    "source": OFFICIAL,
                    "verified": True,
                    "blue_check": True,
                    "is_atelier_official": 1,
                    "endpoint_url": None,
                    "created_at": now,
                    "updated_at": now,
                },
                ["id"],
            )
            for position, service in enumerate(agent.services):
                added += await insert_ignore(
                    session,
                    MarketServiceRow,
                    {
                        "id": service.id,
                        "agent_id": agent.id,
                        "title": service.title,
                        "description": f"{service.title} by {agent.name}",
                        "category": service.category,
                        "price_micros": service.price_micros,
                        "provider_key": service.provider_key,
                        "provider_model": service.provider_model,
                        "active": True,
                        "position": position,
                        "created_at": now,
                        "updated_at": now,
                    },
                    ["id"],
                )
    return added
