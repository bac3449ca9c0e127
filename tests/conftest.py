"""Shared fixtures: an isolated data directory, an opened container, an API client."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.settings import Settings
from tests import loopback_guard

loopback_guard.install()

# Tests never load third-party provider plugins from the environment.
os.environ.setdefault("REELFORGE_NO_PLUGINS", "1")

PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


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


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database on the machine's server, dropped afterwards."""
    name = f"rf_test_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a clear failure, never a silent skip
        await admin.dispose()
        pytest.fail(
            f"PostgreSQL on 127.0.0.1:5432 is not usable ({exc!r}); run scripts/services.sh"
        )
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database the product runs on: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'any.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A local S3-compatible server (moto) on 127.0.0.1 for the whole session."""
    import logging

    from moto.server import ThreadedMotoServer

    from tests.helpers import free_port

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[Container]:
    """A container whose embedded runner is started (runs really execute)."""
    async with open_container(settings, start_runner=True) as c:
        yield c


@pytest.fixture
async def run_client(running: Container) -> AsyncIterator[httpx.AsyncClient]:
    key = running.settings.owner_key_path.read_text().strip()
    transport = httpx.ASGITransport(app=api_app(running), raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    ) as c:
        yield c


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    """The test fails if it tried to reach an address outside this machine."""
    start = len(loopback_guard.attempts)
    yield
    tried = loopback_guard.attempts[start:]
    assert not tried, f"the test tried to reach {tried}: tests reach only 127.0.0.1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's sync API keeps an event loop running in the main
    thread while its session-wide browser is open, and every async test collected after it
    would then fail with "cannot be called from a running event loop"."""
    browser = [i for i in items if "tests/browser/" in i.nodeid or i.nodeid.startswith("browser/")]
    if browser:
        chosen = set(browser)
        rest = [i for i in items if i not in chosen]
        items[:] = rest + browser
