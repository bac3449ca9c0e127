"""Shared fixtures: an isolated data directory, an opened container, an API client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.settings import Settings

# Tests never load third-party provider plugins from the environment.
os.environ.setdefault("REELFORGE_NO_PLUGINS", "1")


def make_settings(home: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "home": home,
        "sandbox": True,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "home")


@pytest.fixture
async def container(settings: Settings) -> AsyncIterator[Container]:
    async with open_container(settings) as c:
        yield c


@pytest.fixture
def owner_key(container: Container) -> str:
    return container.settings.owner_key_path.read_text().strip()


@pytest.fixture
async def client(container: Container, owner_key: str) -> AsyncIterator[httpx.AsyncClient]:
    app = api_app(container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {owner_key}"},
    ) as c:
        yield c
