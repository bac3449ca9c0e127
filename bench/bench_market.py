"""Marketplace (issue 21): the agents listing with 1,000 agents and 10,000 services (p50
and p99 through the API: default page, ``source=official``, ``category=video_gen``, a
``q`` search), and the marketplace's own overhead on an order in sandbox: the time from
POST /v1/market/orders to the answer of a waiting GET that sees it delivered, minus the
generation itself (the run's ``finished_at - created_at`` as stored). Orders are placed
one at a time so each figure is one order's path, not a queue."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import make_settings

from reelforge.app import api_app, open_container
from reelforge.storage.market_tables import MarketAgentRow, MarketServiceRow
from reelforge.storage.run_tables import RunRow
from reelforge.storage.tables import utcnow

AGENTS = 1_000
SERVICES = 10_000
LISTING_SAMPLES = 200
ORDERS = 60
GROK_IMAGE = "svc_atelier_grok_grok_2_image"
CATEGORIES = ("image_gen", "video_gen", "audio_gen", "avatar", "edit")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 2)


async def _fill(container: Any) -> None:
    now = utcnow()
    agents = [
        {
            "id": f"agt_bench_{i:04d}",
            "name": f"Bench Agent {i:04d}",
            "description": f"studio number {i} for sketches and clips",
            "avatar": None,
            "user_id": None,
            "owner_id": None,
            "source": "agentgram" if i % 3 else "external",
            "verified": i % 5 == 0,
            "blue_check": False,
            "is_atelier_official": 0,
            "endpoint_url": None,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(AGENTS - 6)
    ]
    per = SERVICES // len(agents)
    services = [
        {
            "id": f"svc_bench_{n:05d}",
            "agent_id": a["id"],
            "title": f"Service {n}",
            "description": "",
            "category": CATEGORIES[n % len(CATEGORIES)],
            "price_micros": 100_000 + (n % 40) * 50_000,
            "provider_key": None,
            "provider_model": None,
            "active": True,
            "position": k,
            "created_at": now,
            "updated_at": now,
        }
        for i, a in enumerate(agents)
        for k, n in enumerate(range(i * per, i * per + per))
    ]
    async with container.db.transaction() as s:
        await s.execute(MarketAgentRow.__table__.insert(), agents)
        await s.execute(MarketServiceRow.__table__.insert(), services)


async def _listing(c: httpx.AsyncClient) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    cases = {
        "default": {},
        "official": {"source": "official"},
        "category": {"category": "video_gen"},
        "search": {"q": "number 42"},
    }
    for name, params in cases.items():
        for _ in range(10):  # warm-up
            await c.get("/v1/market/agents", params=params)
        times = []
        for _ in range(LISTING_SAMPLES):
            t = time.perf_counter()
            r = await c.get("/v1/market/agents", params=params)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
        figures[f"listing_{name}_p50_ms"] = pct(times, 0.5)
        figures[f"listing_{name}_p99_ms"] = pct(times, 0.99)
    return figures


async def _orders(c: httpx.AsyncClient, container: Any) -> dict[str, Any]:
    overhead, total = [], []
    for i in range(ORDERS + 5):
        t = time.perf_counter()
        r = await c.post(
            "/v1/market/orders",
            json={"service_id": GROK_IMAGE, "brief": f"a lighthouse at dusk {i}"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert r.status_code == 201, r.text
        r = await c.get(f"/v1/market/orders/{r.json()['id']}", params={"wait": 60})
        elapsed = (time.perf_counter() - t) * 1000
        done = r.json()
        assert done["status"] == "delivered", done
        async with container.db.session() as s:
            run = await s.get(RunRow, done["run_id"])
        assert run is not None and run.finished_at is not None
        generation = (run.finished_at - run.created_at).total_seconds() * 1000
        if i >= 5:  # the first orders warm caches up
            total.append(elapsed)
            overhead.append(elapsed - generation)
    return {
        "order_total_p50_ms": pct(total, 0.5),
        "order_overhead_p50_ms": pct(overhead, 0.5),
        "order_overhead_p99_ms": pct(overhead, 0.99),
        "order_overhead_mean_ms": round(statistics.fmean(overhead), 2),
        "orders": len(overhead),
    }


async def _bench(home: Path) -> dict[str, Any]:
    for k in [k for k in os.environ if k.endswith(("_KEY", "_SECRET", "_TOKEN"))]:
        del os.environ[k]  # provider keys would take providers out of the sandbox
    async with open_container(make_settings(home), start_runner=True) as container:
        key = container.settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(container))
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://bench",
            headers={"Authorization": f"Bearer {key}"},
            timeout=120,
        ) as c:
            await c.get("/v1/market/agents")  # seeds the roster
            await _fill(container)
            figures = {"agents": AGENTS, "services": SERVICES + 19}
            figures.update(await _listing(c))
            r = await c.post(
                "/v1/credits/topups",
                json={
                    "user_id": (await c.get("/v1/me")).json()["id"],
                    "amount_micros": 100_000_000,
                    "reason": "bench",
                    "idempotency_key": uuid.uuid4().hex,
                },
            )
            assert r.status_code in (200, 201), r.text
            figures.update(await _orders(c, container))
    return figures


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(_bench(Path(tmp) / "home"))


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
