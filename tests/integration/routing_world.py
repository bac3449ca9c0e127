"""Two emulators on 127.0.0.1 (fal, and Together as the fallback) recorded as they are
called, a container running against them and an API client: the world routing and launch
tests run in (fixture ``world`` in this folder's conftest)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.emulators import fal, together
from reelforge.emulators.base import EmulatorConfig
from reelforge.engine.routing import RetryPolicy
from tests.conftest import make_settings
from tests.helpers import serve_asgi

FAL_MODEL = "fal/flux-dev"
FALLBACK = "together/flux-1-schnell-free"


class Recorder:
    """An ASGI wrapper noting when each request reached the emulator."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: list[tuple[float, str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Admin routes and output downloads (the safe fetcher, not a provider call) aside.
        if scope["type"] != "http" or scope["path"].startswith(("/__emulator", "/files/")):
            await self.app(scope, receive, send)
            return
        self.calls.append((time.monotonic(), scope["method"], scope["path"]))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def submits(self) -> list[float]:
        return [
            t for t, method, path in self.calls if method == "POST" and "__emulator" not in path
        ]

    @property
    def state(self) -> Any:
        return self.app.state.emulator


@dataclass
class World:
    client: httpx.AsyncClient
    container: Container
    fal: Recorder
    fal_url: str
    together: Recorder
    together_url: str
    runs: list[str] = field(default_factory=list)

    async def fault(self, url: str, **fault: Any) -> None:
        async with httpx.AsyncClient() as c:
            r = await c.post(f"{url}/__emulator/faults", json=fault)
            assert r.status_code == 201, r.text

    async def generate(self, **body: Any) -> dict[str, Any]:
        doc = {"model": FAL_MODEL, "prompt": "a lighthouse at dusk", "fallbacks": [FALLBACK]}
        doc.update(body)
        r = await self.client.post("/v1/generations", json=doc)
        assert r.status_code == 202, r.text
        return await self.wait(r.json()["id"])

    async def wait(self, run_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run: dict[str, Any] = (await self.client.get(f"/v1/runs/{run_id}")).json()
            if run["status"] in ("succeeded", "failed", "canceled"):
                return run
            assert time.monotonic() < deadline, run
            await asyncio.sleep(0.1)

    async def events(self, run_id: str) -> list[str]:
        text = (await self.client.get(f"/v1/runs/{run_id}/events")).text
        return [line[7:] for line in text.splitlines() if line.startswith("event: ")]


async def open_world(tmp_path: Path, monkeypatch: Any) -> AsyncIterator[World]:
    config = EmulatorConfig(run_seconds=0.2, image_run_seconds=0.1, queue_seconds=0.05)
    fal_app, together_app = Recorder(fal.create_app(config)), Recorder(together.create_app(config))
    with serve_asgi(fal_app) as fal_url, serve_asgi(together_app) as together_url:
        monkeypatch.setenv("FAL_KEY", fal.SANDBOX_CREDENTIAL["api_key"])
        monkeypatch.setenv("TOGETHER_API_KEY", together.SANDBOX_CREDENTIAL["api_key"])
        settings = make_settings(
            tmp_path / "home",
            provider_base_urls={"fal": fal_url, "together": together_url},
            fetch_allow_hosts=[u.removeprefix("http://") for u in (fal_url, together_url)],
        )
        async with open_container(settings, start_runner=True) as container:
            # Short backoff so a test waits for Retry-After only where it asks for one.
            container.engine.policy = RetryPolicy(base_delay=0.05, max_delay=0.2, max_attempts=3)
            key = settings.owner_key_path.read_text().strip()
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False),
                base_url="http://testserver",
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            ) as client:
                yield World(client, container, fal_app, fal_url, together_app, together_url)


async def member_client(world: World) -> httpx.AsyncClient:
    """A member's API client: the environment keys are lent to members, so their runs are
    held and captured from plan credits (the owner's are the owner's own keys)."""
    from reelforge.domain.identity import Role
    from reelforge.storage import identity

    async with world.container.db.transaction() as session:
        user = await identity.create_user(session, "member", Role.MEMBER)
        _row, key = await identity.create_api_key(session, user.id)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api_app(world.container), raise_app_exceptions=False),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


async def wait_as(client: httpx.AsyncClient, run_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = (await client.get(f"/v1/runs/{run_id}")).json()
        if run["status"] in ("succeeded", "failed", "canceled"):
            return run
        assert time.monotonic() < deadline, run
        await asyncio.sleep(0.1)
