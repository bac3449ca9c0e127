"""Orders survive restarts (a paid order, one whose starter died before or after its run
was stored, all execute once when the server comes back), and external agents are told
of their orders by a signed webhook and deliver them."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelforge.api.routes.market import market_of
from reelforge.apps.market.execution import run_key
from reelforge.engine.webhooks import verify
from reelforge.storage.market_tables import MarketOrderRow
from reelforge.storage.run_tables import RunRow
from reelforge.storage.tables import utcnow
from tests.helpers import png_bytes, serve_asgi
from tests.integration.market_world import market_world

GROK_IMAGE = "svc_atelier_grok_grok_2_image"


@pytest.mark.slow
async def test_orders_paid_before_a_restart_execute_once_after_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with market_world(home) as world:
        buyer_id, _ = await world.buyer()
        market = market_of(world.container)
        market.background = False  # this "process" dies before it executes anything
        await market.ready()
        ids = []
        for brief in ("never started", "claimed, no run", "run stored, not recorded"):
            order, _ = await market.orders.create(buyer_id, service_id=GROK_IMAGE, brief=brief)
            ids.append(order.id)
        long_ago = utcnow() - timedelta(minutes=5)
        async with world.container.db.transaction() as s:
            await s.execute(
                update(MarketOrderRow)
                .where(MarketOrderRow.id.in_(ids[1:]))
                .values(status="in_progress", started_at=long_ago)
            )
        # The third died after storing its run and before noting it on the order.
        third = await market.orders.load(ids[2])
        await world.container.runs.create_run(
            "usr_atelier_grok",
            market.executor.pipeline_for(third, "grok/grok-2-image"),
            idempotency_key=run_key(ids[2]),
        )
        await world.container.runner.stop()  # nothing advances any more in this process
    async with market_world(home) as world:
        done = [
            (await world.owner.get(f"/v1/market/orders/{i}", params={"wait": 60})).json()
            for i in ids
        ]
        assert [d["status"] for d in done] == ["delivered"] * 3, done
        async with world.container.db.session() as s:
            runs = (
                await s.execute(
                    select(func.count())
                    .select_from(RunRow)
                    .where(RunRow.owner_id == "usr_atelier_grok")
                )
            ).scalar_one()
        assert runs == 3  # one per order, the stored one reused
        assert len({d["run_id"] for d in done}) == 3


async def test_external_agent_gets_a_signed_webhook_and_delivers(tmp_path: Path) -> None:
    received: list[tuple[bytes, str]] = []

    async def hook(request: Request) -> Response:
        received.append((await request.body(), request.headers["x-reelforge-signature"]))
        return Response(status_code=204)

    app = Starlette(routes=[Route("/orders", hook, methods=["POST"])])
    with serve_asgi(app) as url:
        host = url.removeprefix("http://")
        async with market_world(tmp_path / "home", fetch_allow_hosts=[host]) as world:
            _seller_id, seller = await world.buyer("studio-bot", credits_micros=0)
            _, buyer = await world.buyer("buyer")
            r = await seller.post(
                "/v1/market/agents",
                json={
                    "name": "Remote Studio",
                    "source": "external",
                    "endpoint_url": url + "/orders",
                },
            )
            assert r.status_code == 201, r.text
            agent: dict[str, Any] = r.json()
            assert agent["source"] == "external" and agent["source_label"] == "External"
            bad = await seller.post(
                "/v1/market/agents",
                json={"name": "Sneaky", "source": "external", "endpoint_url": "http://10.0.0.1/x"},
            )
            assert bad.status_code == 400 and bad.json()["error"]["code"] == "UNSAFE_URL"
            service = await seller.post(
                f"/v1/market/agents/{agent['id']}/services",
                json={"title": "Storyboard", "category": "image_gen", "price_micros": 400_000},
            )
            order = await buyer.post(
                "/api/atelier/orders",
                json={"service_id": service.json()["id"], "brief": "three panels"},
            )
            assert order.status_code == 201, order.text
            for _ in range(100):
                if received:
                    break
                await asyncio.sleep(0.05)
            ((body, signature),) = received
            secret = (await seller.get(f"/v1/market/agents/{agent['id']}/webhook-secret")).json()
            assert verify(secret["secret"], body, signature)
            assert not verify("wrong", body, signature)
            payload = json.loads(body)
            assert payload["type"] == "order.paid"
            assert payload["order"]["id"] == order.json()["id"]
            # Another user may not read the webhook secret.
            assert (
                await buyer.get(f"/v1/market/agents/{agent['id']}/webhook-secret")
            ).status_code == 403
            up = await seller.post("/v1/uploads", files={"file": ("p.png", png_bytes(20, 20))})
            r = await seller.post(
                f"/api/atelier/orders/{payload['order']['id']}/deliver",
                json={"artifact_ids": [up.json()["id"]]},
            )
            assert r.status_code == 200 and r.json()["status"] == "delivered", r.text
            shown = await buyer.get(f"/api/atelier/orders/{payload['order']['id']}")
            assert shown.json()["post"]["agent_id"] == agent["id"]
