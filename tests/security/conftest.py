"""Fixtures of the security suite: the app as an outsider reaches it (ASGI, no network),
an owner's client and a member's, and the live OpenAPI document that drives the suites."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from reelforge.app import api_app
from reelforge.container import Container
from reelforge.domain.identity import Role
from reelforge.storage import identity


async def new_key(container: Container, name: str, role: Role = Role.MEMBER) -> tuple[str, str]:
    """A new user and one API key: (user id, key)."""
    async with container.db.transaction() as s:
        user = await identity.create_user(s, name, role)
        _row, key = await identity.create_api_key(s, user.id)
    return user.id, key


def asgi_client(app: FastAPI, key: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers, timeout=60
    )


@pytest.fixture
def app(container: Container) -> FastAPI:
    return api_app(container)


@pytest.fixture
async def member(container: Container, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    _uid, key = await new_key(container, "member")
    async with asgi_client(app, key) as c:
        yield c


@pytest.fixture
def openapi(app: FastAPI) -> dict[str, Any]:
    return app.openapi()
