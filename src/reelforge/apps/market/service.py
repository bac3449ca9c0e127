"""The marketplace as one service: what the HTTP routes call. Built once per process from
the core's public services (database, artifacts, catalog, runs, runner, safe fetcher)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from reelforge import billing
from reelforge.apps.market import listing
from reelforge.apps.market.execution import Executor
from reelforge.apps.market.orders import OrderInput, Orders, OrderStatus
from reelforge.apps.market.roster import seed_roster
from reelforge.apps.market.sellers import Sellers
from reelforge.apps.market.views import (
    agent_view,
    dollars,
    margin_view,
    order_view,
    service_view,
)
from reelforge.catalog.catalog import Catalog
from reelforge.engine.service import RunService
from reelforge.jobs.runner import Runner
from reelforge.storage.artifacts import ArtifactStore
from reelforge.storage.db import Database
from reelforge.storage.fetcher import SafeFetcher
from reelforge.storage.market_tables import MarketAgentRow, MarketOrderRow


class Market:
    def __init__(
        self,
        db: Database,
        artifacts: ArtifactStore,
        catalog: Catalog,
        runs: RunService,
        runner: Runner,
        fetcher: SafeFetcher,
        secret: str,
        *,
        sweep_seconds: float = 2.0,
        background: bool = True,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self._names: dict[str, tuple[str, str]] = {}
        self._agents: dict[str, MarketAgentRow] = {}
        self.orders = Orders(db, artifacts, catalog)
        self.executor = Executor(self.orders, runs, runner, sweep_seconds=sweep_seconds)
        self.sellers = Sellers(self.orders, fetcher, secret)
        self.background = background
        self._ready = False
        self._lock = asyncio.Lock()

    async def ready(self) -> None:
        """Seed the roster and start the sweep, once per process (first request or start)."""
        if self._ready:
            return
        async with self._lock:
            if not self._ready:
                await seed_roster(self.db)
                if self.background:
                    self.executor.start()
                self._ready = True

    async def aclose(self) -> None:
        await self.executor.stop()

    # -- reading -------------------------------------------------------------------------
    async def agents(self, **filters: Any) -> dict[str, Any]:
        await self.ready()
        return await listing.list_agents(self.db, **filters)

    async def profile(self, agent_id: str) -> dict[str, Any]:
        await self.ready()
        return await listing.agent_profile(self.db, agent_id)

    # -- orders --------------------------------------------------------------------------
    async def place(
        self,
        buyer_id: str,
        *,
        service_id: str,
        brief: str,
        inputs: list[OrderInput],
        consent: bool,
        idempotency_key: str | None,
    ) -> tuple[dict[str, Any], bool]:
        await self.ready()
        order, created = await self.orders.create(
            buyer_id,
            service_id=service_id,
            brief=brief,
            inputs=inputs,
            consent=consent,
            idempotency_key=idempotency_key,
        )
        if created:
            agent = await self.agent_row(order.agent_id)
            if agent.is_atelier_official:
                self.executor.kick(order, agent)  # executes by itself once paid
            elif agent.source == "external":
                self.executor.spawn(self.sellers.notify(order))
        return await self.view(order), created

    async def view(self, order: MarketOrderRow) -> dict[str, Any]:
        post, deliverables = await self.orders.detail(order)
        names = await self.names(order.service_id)
        return order_view(order, post=post, deliverables=deliverables, names=names)

    async def names(self, service_id: str) -> tuple[str, str]:
        """(service title, agent name), kept in process: labels only, a rename shows
        after a restart at worst, and a waiter's answer reads nothing more for them."""
        found = self._names.get(service_id)
        if found is None:
            service = await listing.get_service(self.db, service_id)
            agent = await listing.get_agent(self.db, service.agent_id)
            found = self._names[service_id] = (service.title, agent.name)
        return found

    async def service_detail(self, service_id: str, buyer_id: str) -> dict[str, Any]:
        """A service with its agent, the inputs its model needs and the buyer's quote: the
        price held on ordering against what the buyer has available now."""
        await self.ready()
        service = await listing.get_service(self.db, service_id)
        agent = await listing.get_agent(self.db, service.agent_id)
        slots: list[dict[str, Any]] = []
        if agent.is_atelier_official and service.provider_key and service.provider_model:
            entry = await self.catalog.get(f"{service.provider_key}/{service.provider_model}")
            slots = [
                {
                    "name": s.name,
                    "kind": s.kind.value,
                    "required": s.required,
                    "identity": s.identity,
                }
                for s in entry.inputs
            ]
        async with self.db.transaction() as session:
            wallet = await billing.ensure_period(session, buyer_id)
        available = wallet.available_micros
        return {
            "service": service_view(service),
            "agent": agent_view(agent),
            "inputs": slots,
            "quote": {
                "price_micros": service.price_micros,
                "price": dollars(service.price_micros),
                "available_micros": available,
                "enough": available >= service.price_micros,
                "charged_on": "delivery",
                "refund": "in full if the order fails or is canceled before it starts",
            },
        }

    async def order(self, order_id: str, buyer_id: str | None) -> dict[str, Any]:
        await self.ready()
        return await self.view(await self.orders.get(order_id, buyer_id))

    async def wait(self, order_id: str, buyer_id: str | None, seconds: float) -> dict[str, Any]:
        """The order once it has ended, or as it is after ``seconds``."""
        await self.ready()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            ended = self.orders.ends.watch(order_id)
            try:
                order = await self.orders.get(order_id, buyer_id)
                left = deadline - loop.time()
                if OrderStatus(order.status).terminal or left <= 0:
                    break
                await self.orders.ends.wait(ended, left)
            finally:
                self.orders.ends.unwatch(order_id)
        return await self.view(order)

    async def mine(self, buyer_id: str, **filters: Any) -> list[dict[str, Any]]:
        await self.ready()
        return [await self.view(o) for o in await self.orders.list_mine(buyer_id, **filters)]

    async def execute(self, order_id: str, buyer_id: str | None) -> dict[str, Any]:
        await self.ready()
        return await self.view(await self.executor.execute(order_id, buyer_id=buyer_id))

    async def cancel(self, order_id: str, buyer_id: str | None) -> dict[str, Any]:
        await self.ready()
        return await self.view(await self.orders.cancel(order_id, buyer_id))

    async def margins(self, *, limit: int = 100) -> dict[str, Any]:
        """Per delivered order: revenue, provider cost, margin (admins)."""
        async with self.db.session() as session:
            rows = list(
                (
                    await session.execute(
                        select(MarketOrderRow)
                        .where(MarketOrderRow.status == "delivered")
                        .order_by(MarketOrderRow.delivered_at.desc())
                        .limit(max(1, min(limit, 1000)))
                    )
                ).scalars()
            )
            totals = (
                await session.execute(
                    select(
                        func.count(),
                        func.coalesce(func.sum(MarketOrderRow.captured_micros), 0),
                        func.coalesce(func.sum(MarketOrderRow.provider_cost_micros), 0),
                    ).where(MarketOrderRow.status == "delivered")
                )
            ).one()
        count, revenue, cost = (int(v) for v in totals)
        return {
            "orders": [margin_view(o) for o in rows],
            "totals": {
                "orders": count,
                "revenue_micros": revenue,
                "provider_cost_micros": cost,
                "margin_micros": revenue - cost,
            },
        }

    async def agent_row(self, agent_id: str) -> MarketAgentRow:
        """An agent, kept in process: what the order path decides on (official, source,
        account) is never changed by the API once the agent exists."""
        row = self._agents.get(agent_id)
        if row is None:
            row = self._agents[agent_id] = await listing.get_agent(self.db, agent_id)
        return row
