"""A sandbox deployment for the asset studio tests: the owner's client, a signed-in
member's client (plan Free), a guest client (no key), and the in-process emulators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.domain.identity import Role
from reelforge.storage import identity
from tests.conftest import make_settings


@dataclass
class AssetsWorld:
    container: Container
    owner: httpx.AsyncClient
    member: httpx.AsyncClient
    member_id: str
    guest: httpx.AsyncClient

    def emulator(self, provider: str) -> Any:
        """The in-process sandbox emulator's state (what it received)."""
        endpoint = self.container.hub.sandbox_endpoints[provider]
        return endpoint.client._transport.app.state.emulator  # type: ignore[attr-defined]

    def tasks(self, provider: str) -> list[Any]:
        return list(self.emulator(provider).tasks.tasks.values())

    async def client_for(
        self, name: str, role: Role = Role.MEMBER
    ) -> tuple[httpx.AsyncClient, str]:
        async with self.container.db.transaction() as session:
            user = await identity.create_user(session, name, role)
            _row, key = await identity.create_api_key(session, user.id)
        return _client(self.container, key), user.id


def _client(container: Container, key: str | None, ip: str = "203.0.113.7") -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(
            app=api_app(container), raise_app_exceptions=False, client=(ip, 4000)
        ),
        base_url="http://testserver",
        headers=headers,
        timeout=60,
    )


async def open_assets_world(tmp_path: Path, **overrides: Any) -> AsyncIterator[AssetsWorld]:
    settings = make_settings(tmp_path / "home", **overrides)
    async with open_container(settings, start_runner=True) as container:
        owner_key = settings.owner_key_path.read_text().strip()
        async with container.db.transaction() as session:
            user = await identity.create_user(session, "member", Role.MEMBER)
            _row, key = await identity.create_api_key(session, user.id)
        async with (
            _client(container, owner_key) as owner,
            _client(container, key) as member,
            _client(container, None) as guest,
        ):
            yield AssetsWorld(container, owner, member, user.id, guest)
