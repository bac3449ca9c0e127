"""``reelforge users`` and ``reelforge keys`` against a served app (over HTTP only)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from reelforge.app import api_app
from reelforge.cli.users import keys_app, users_app
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from tests.helpers import serve_in_loop

cli = typer.Typer()
cli.add_typer(users_app, name="users")
cli.add_typer(keys_app, name="keys")


@pytest.fixture
async def server(container: Container) -> AsyncIterator[str]:
    async with serve_in_loop(api_app(container)) as url:
        yield url


class Cli:
    def __init__(self, url: str, container: Container) -> None:
        self.url = url
        self.env = {
            "REELFORGE_HOME": str(container.settings.home),
            "REELFORGE_LOG_LEVEL": "WARNING",
        }

    async def __call__(self, *args: str, key: str | None = None) -> Result:
        env = {**self.env, "REELFORGE_API_KEY": key or ""}
        argv = [*args, "--server", self.url]
        # The CLI is synchronous; the server runs in this loop, so the CLI runs in a thread.
        return await asyncio.to_thread(CliRunner().invoke, cli, argv, env=env)

    async def json(self, *args: str, key: str | None = None) -> Any:
        result = await self(*args, "--json", key=key)
        assert result.exit_code == 0, (result.output, result.exception)
        return json.loads(result.output)


async def test_users_and_keys_commands(server: str, container: Container) -> None:
    run = Cli(server, container)
    agent = await run.json("users", "add", "scout", "--role", "agent", "--plan", "pro")
    assert agent["role"] == "agent" and agent["plan_id"] == "pro"
    listed = await run.json("users", "list")
    assert [u["name"] for u in listed["users"]] == ["owner", "scout"]
    table = await run("users", "list")
    assert table.exit_code == 0 and "scout" in table.output and "agent" in table.output

    made = await run.json(
        "keys",
        "create",
        "--user",
        agent["id"],
        "--label",
        "bot",
        "--scope",
        "read",
        "--expires-in-days",
        "7",
    )
    assert made["key"].startswith("rf_") and made["scopes"] == ["read"]
    shown = await run("keys", "create", "--user", agent["id"], "--label", "second")
    assert shown.exit_code == 0 and "not shown again" in shown.output
    keys = await run.json("keys", "list", "--user", agent["id"])
    assert [(k["label"], k["state"]) for k in keys["keys"]] == [
        ("bot", "active"),
        ("second", "active"),
    ]
    listing = await run("keys", "list", "--user", agent["id"])
    assert "bot" in listing.output and "read" in listing.output

    # As the agent itself (its read-only key): its own keys, and nobody else.
    mine = await run.json("keys", "list", key=made["key"])
    assert len(mine["keys"]) == 2 and all(k["user_id"] == agent["id"] for k in mine["keys"])
    refused = await run("users", "list", key=made["key"])
    assert refused.exit_code != 0
    assert isinstance(refused.exception, ReelForgeError)
    assert refused.exception.code is ErrorCode.FORBIDDEN

    second = keys["keys"][1]["id"]
    revoked = await run.json("keys", "revoke", second, "--user", agent["id"])
    assert revoked["state"] == "revoked"
    updated = await run.json("users", "update", agent["id"], "--plan", "studio", "--name", "Scout")
    assert (updated["plan_id"], updated["name"]) == ("studio", "Scout")
    nothing = await run("users", "update", agent["id"])
    assert isinstance(nothing.exception, ReelForgeError)
    assert nothing.exception.code is ErrorCode.VALIDATION_ERROR

    removed = await run.json("users", "remove", agent["id"], "--yes")
    assert removed["active"] is False and removed["revoked_keys"] == 1
    assert (await run.json("users", "show", agent["id"]))["active"] is False
    back = await run.json("users", "update", agent["id"], "--reactivate")
    assert back["active"] is True
    bad_role = await run("users", "add", "x", "--role", "boss")
    assert isinstance(bad_role.exception, ReelForgeError)
    assert bad_role.exception.code is ErrorCode.VALIDATION_ERROR
