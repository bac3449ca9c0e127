"""Agents that are not official: a user's own agents (``agentgram``: an account with the
role agent that delivers by posting) and ``external`` services (told of each paid order by
a webhook signed like run webhooks, sent under the safe fetcher's address rules).

Either delivers with ``deliver``: media the agent's account (or its owner) made, which
becomes the post and the buyer's deliverables; the hold is captured as for official
orders (no provider cost: the seller made it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from reelforge.apps.market import delivery
from reelforge.apps.market.listing import CATEGORIES, get_agent
from reelforge.apps.market.orders import Orders, OrderStatus, not_found
from reelforge.apps.market.views import order_view
from reelforge.billing.sql import insert_ignore
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Role
from reelforge.domain.ids import new_id
from reelforge.engine.webhooks import deliver as send_webhook
from reelforge.engine.webhooks import owner_webhook_secret
from reelforge.storage import identity
from reelforge.storage.fetcher import SafeFetcher
from reelforge.storage.market_tables import MarketAgentRow, MarketOrderRow, MarketServiceRow
from reelforge.storage.tables import utcnow


class Sellers:
    def __init__(self, orders: Orders, fetcher: SafeFetcher, secret: str) -> None:
        self.orders = orders
        self.db = orders.db
        self.fetcher = fetcher
        self.secret = secret

    def webhook_secret(self, agent: MarketAgentRow) -> str:
        """What an external agent checks ``X-ReelForge-Signature`` with (shown to its owner)."""
        return owner_webhook_secret(self.secret, f"market-agent:{agent.id}")

    async def create_agent(
        self,
        owner_id: str,
        *,
        name: str,
        description: str = "",
        source: str = "agentgram",
        endpoint_url: str | None = None,
        avatar: str | None = None,
    ) -> MarketAgentRow:
        if source not in ("agentgram", "external"):
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "An agent you create is 'agentgram' (your own agent) or 'external'.",
                detail={"param": "source", "given": source},
                remediation=("Official agents are the platform's own roster.",),
            )
        if source == "external":
            if not endpoint_url:
                raise ReelForgeError(
                    ErrorCode.VALIDATION_ERROR,
                    "An external agent needs the endpoint_url its orders are sent to.",
                    detail={"param": "endpoint_url"},
                )
            await self.fetcher.check_url(endpoint_url)  # UNSAFE_URL names the reason
        name = name.strip()
        if not name or len(name) > 120:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "The agent's name must be 1 to 120 characters.",
                detail={"param": "name"},
            )
        now = utcnow()
        agent_id = new_id("agt")
        async with self.db.transaction() as session:
            user = await identity.create_user(session, name, Role.AGENT)
            row = MarketAgentRow(
                id=agent_id,
                name=name,
                description=description,
                avatar=avatar,
                user_id=user.id,
                owner_id=owner_id,
                source=source,
                verified=False,
                blue_check=False,
                is_atelier_official=0,
                endpoint_url=endpoint_url if source == "external" else None,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
        return row

    async def add_service(
        self,
        actor_id: str,
        agent_id: str,
        *,
        title: str,
        category: str,
        price_micros: int,
        description: str = "",
        is_admin: bool = False,
    ) -> MarketServiceRow:
        agent = await get_agent(self.db, agent_id)
        self.check_seller(agent, actor_id, is_admin)
        if category not in CATEGORIES:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"Unknown category {category!r}.",
                detail={"param": "category", "allowed": list(CATEGORIES)},
            )
        now = utcnow()
        row = {
            "id": new_id("svc"),
            "agent_id": agent.id,
            "title": title.strip()[:200],
            "description": description,
            "category": category,
            "price_micros": price_micros,
            "provider_key": None,
            "provider_model": None,
            "active": True,
            "position": 0,
            "created_at": now,
            "updated_at": now,
        }
        async with self.db.transaction() as session:
            await insert_ignore(session, MarketServiceRow, row, ["id"])
        return MarketServiceRow(**row)

    async def update_service(
        self,
        actor_id: str,
        service_id: str,
        *,
        is_admin: bool,
        price_micros: int | None = None,
        active: bool | None = None,
    ) -> MarketServiceRow:
        from reelforge.apps.market.listing import get_service

        service = await get_service(self.db, service_id)
        agent = await get_agent(self.db, service.agent_id)
        self.check_seller(agent, actor_id, is_admin)
        values: dict[str, Any] = {"updated_at": utcnow()}
        if price_micros is not None:
            values["price_micros"] = price_micros
        if active is not None:
            values["active"] = active
        async with self.db.transaction() as session:
            await session.execute(
                update(MarketServiceRow).where(MarketServiceRow.id == service_id).values(**values)
            )
        return await get_service(self.db, service_id)

    def check_seller(self, agent: MarketAgentRow, actor_id: str, is_admin: bool) -> None:
        if is_admin:
            return
        if agent.is_atelier_official or actor_id not in (agent.owner_id, agent.user_id):
            raise ReelForgeError(
                ErrorCode.FORBIDDEN,
                f"Only {agent.name}'s owner (or an admin) may change it.",
                detail={"agent_id": agent.id},
            )

    async def notify(self, order: MarketOrderRow) -> None:
        """Tell an external agent of a paid order (signed; the status is kept)."""
        agent = await get_agent(self.db, order.agent_id)
        if agent.source != "external" or not agent.endpoint_url:
            return
        payload = {"type": "order.paid", "order": order_view(order)}
        status = await send_webhook(
            self.fetcher, agent.endpoint_url, payload, self.webhook_secret(agent)
        )
        async with self.db.transaction() as session:
            await session.execute(
                update(MarketOrderRow)
                .where(MarketOrderRow.id == order.id)
                .values(webhook_status=status[:40])
            )

    async def deliver(
        self, actor_id: str, order_id: str, artifact_ids: list[str], caption: str = ""
    ) -> MarketOrderRow:
        """The seller's delivery: its media (its own artifacts) become the post."""
        order = await self.orders.load(order_id)
        agent = await get_agent(self.db, order.agent_id)
        if agent.is_atelier_official or actor_id not in (agent.owner_id, agent.user_id):
            raise not_found(order_id)  # not the seller: as if it did not exist
        if order.status not in (OrderStatus.PAID.value, OrderStatus.IN_PROGRESS.value):
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"The order is {order.status}: there is nothing to deliver.",
                detail={"order_id": order_id, "status": order.status},
            )
        if not artifact_ids:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "A delivery needs at least one artifact.",
                detail={"param": "artifact_ids"},
                remediation=("Upload the media (POST /v1/uploads) and give its artifact id.",),
            )
        rows = [await self.orders.artifacts.get(a, owner_id=actor_id) for a in artifact_ids]
        media = await delivery.heads(self.orders.artifacts, rows)
        await delivery.deliver(
            self.db, self.orders.artifacts, order, media, caption=caption or order.brief
        )
        self.orders.ends.ended(order_id)
        return await self.orders.load(order_id)
