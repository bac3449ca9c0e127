"""Per-user and per-key rate limits on the endpoints that start work: 429 RATE_LIMITED with
Retry-After, the plan's multiplier, and counts shared between API nodes through Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from reelforge.app import api_app, open_container
from reelforge.container import Container
from tests.conftest import make_settings
from tests.integration.test_users_api import bearer, error, key_for, make_user

REDIS_URL = "redis://127.0.0.1:6379/0"
GEN = {"model": "fal/flux-dev", "prompt": "a paper boat"}


def client_of(container: Container, key: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t", headers=bearer(key))


@pytest.fixture
async def limited(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        tmp_path / "h", rate_limit_key_per_minute=3, rate_limit_user_per_minute=5
    )
    async with open_container(settings) as container:
        async with client_of(container, settings.owner_key_path.read_text().strip()) as c:
            yield c


async def generations(client: httpx.AsyncClient, key: str, n: int) -> list[httpx.Response]:
    return [await client.post("/v1/generations", json=GEN, headers=bearer(key)) for _ in range(n)]


async def test_429_with_retry_after_after_the_key_limit(limited: httpx.AsyncClient) -> None:
    member = await make_user(limited)
    key = await key_for(limited, member["id"])
    answers = await generations(limited, key, 4)
    assert [r.status_code for r in answers] == [202, 202, 202, 429]
    refused = answers[-1]
    assert error(refused)["code"] == "RATE_LIMITED" and error(refused)["retryable"] is True
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert error(refused)["detail"]["per"] == "key" and error(refused)["detail"]["limit"] == 3
    # The same key may still read; only starting work is limited.
    assert (await limited.get("/v1/runs", headers=bearer(key))).status_code == 200


async def test_keys_count_apart_and_the_user_limit_joins_them(
    limited: httpx.AsyncClient,
) -> None:
    member = await make_user(limited)
    first, second = [await key_for(limited, member["id"]) for _ in range(2)]
    assert [r.status_code for r in await generations(limited, first, 3)] == [202] * 3
    # The second key has its own window (3), but the user's (5) is shared by both keys.
    answers = await generations(limited, second, 3)
    assert [r.status_code for r in answers] == [202, 202, 429]
    assert error(answers[-1])["detail"]["per"] == "user"
    # Another user is not affected.
    other = await make_user(limited, name="other")
    assert (await generations(limited, await key_for(limited, other["id"]), 1))[
        0
    ].status_code == 202


async def test_the_plans_multiplier_raises_the_limit_and_the_owner_is_exempt(
    limited: httpx.AsyncClient,
) -> None:
    member = await make_user(limited, plan_id="pro")  # rate_limit_multiplier 3
    key = await key_for(limited, member["id"])
    answers = await generations(limited, key, 10)
    assert [r.status_code for r in answers] == [202] * 9 + [429]
    assert error(answers[-1])["detail"]["limit"] == 9
    owner = [await limited.post("/v1/generations", json=GEN) for _ in range(8)]
    assert all(r.status_code == 202 for r in owner)


@pytest.mark.redis
async def test_limits_are_shared_between_api_nodes_through_redis(tmp_path: Path) -> None:
    prefix = f"rf-test-{uuid.uuid4().hex[:10]}"
    common: dict[str, Any] = {
        "rate_limit_url": REDIS_URL,
        "rate_limit_prefix": prefix,
        "rate_limit_key_per_minute": 4,
        "rate_limit_user_per_minute": 0,
    }
    home = tmp_path / "h"
    try:
        async with (
            open_container(make_settings(home, **common)) as one,
            open_container(make_settings(home, **common)) as two,
        ):
            owner = one.settings.owner_key_path.read_text().strip()
            async with client_of(one, owner) as a, client_of(two, owner) as b:
                member = await make_user(a)
                key = await key_for(a, member["id"])
                codes = [r.status_code for r in await generations(a, key, 2)]
                codes += [r.status_code for r in await generations(b, key, 3)]
                assert codes == [202, 202, 202, 202, 429]
                assert [r.status_code for r in await generations(a, key, 1)] == [429]
    finally:
        client = aioredis.from_url(REDIS_URL)
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        assert keys, "the counts were kept in Redis"
        await client.delete(*keys)
        await client.aclose()


async def test_memory_counts_are_per_process(tmp_path: Path) -> None:
    """The default (memory://) is one API node's own: two apps count apart."""
    home = tmp_path / "h"
    limits = {"rate_limit_key_per_minute": 2, "rate_limit_user_per_minute": 0}
    async with (
        open_container(make_settings(home, **limits)) as one,
        open_container(make_settings(home, **limits)) as two,
    ):
        owner = one.settings.owner_key_path.read_text().strip()
        async with client_of(one, owner) as a, client_of(two, owner) as b:
            member = await make_user(a)
            key = await key_for(a, member["id"])
            assert [r.status_code for r in await generations(a, key, 3)] == [202, 202, 429]
            assert [r.status_code for r in await generations(b, key, 2)] == [202, 202]


async def test_an_unreachable_store_is_a_clear_error(tmp_path: Path) -> None:
    from tests.helpers import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async with open_container(make_settings(tmp_path / "h", rate_limit_url=url)) as container:
        owner = container.settings.owner_key_path.read_text().strip()
        async with client_of(container, owner) as c:
            key = await key_for(c, (await make_user(c))["id"])
            r = (await generations(c, key, 1))[0]
    assert r.status_code == 500 and "REELFORGE_RATE_LIMIT_URL" in error(r)["message"]
    assert url not in r.text  # a URL may carry a password


def test_bad_rate_limit_settings_are_refused(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="memory://"):
        make_settings(tmp_path, rate_limit_url="postgres://x")
    with pytest.raises(ValidationError, match="unknown role"):
        make_settings(tmp_path, rate_limit_exempt_roles=["boss"])
