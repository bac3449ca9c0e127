"""A marketplace deployment for tests: sandbox (every provider emulated in-process, no
keys), the embedded runner started, the owner's client and buyers with credits."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from reelforge.app import api_app, open_container
from reelforge.container import Container
from tests.conftest import make_settings

# Provider keys in the environment would take providers out of the sandbox.
KEY_SUFFIXES = ("_KEY", "_SECRET", "_TOKEN", "_KEY_ID", "_API_KEY")


@dataclass
class MarketWorld:
    container: Container
    owner: httpx.AsyncClient
    app: Any
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self, key: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        c = httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
            timeout=120,
        )
        self.clients.append(c)
        return c

    async def buyer(
        self, name: str = "buyer", credits_micros: int = 50_000_000
    ) -> tuple[str, httpx.AsyncClient]:
        r = await self.owner.post("/v1/users", json={"name": name})
        assert r.status_code == 201, r.text
        user_id = r.json()["id"]
        r = await self.owner.post(f"/v1/users/{user_id}/keys", json={"label": "market"})
        assert r.status_code == 201, r.text
        client = self.client(r.json()["key"])
        if credits_micros:
            r = await self.owner.post(
                "/v1/credits/topups",
                json={
                    "user_id": user_id,
                    "amount_micros": credits_micros,
                    "reason": "test",
                    "idempotency_key": uuid.uuid4().hex,
                },
            )
            assert r.status_code in (200, 201), r.text
        return user_id, client


@asynccontextmanager
async def market_world(home: Path, **overrides: object) -> AsyncIterator[MarketWorld]:
    saved = {k: v for k, v in os.environ.items() if k.endswith(KEY_SUFFIXES)}
    for k in saved:
        del os.environ[k]
    try:
        settings = make_settings(home, **overrides)
        async with open_container(settings, start_runner=True) as container:
            key = container.settings.owner_key_path.read_text().strip()
            app = api_app(container)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://testserver",
                headers={"Authorization": f"Bearer {key}"},
                timeout=120,
            ) as owner:
                world = MarketWorld(container, owner, app)
                try:
                    yield world
                finally:
                    for c in world.clients:
                        await c.aclose()
    finally:
        os.environ.update(saved)
