"""Setup hub: connect a provider in one call (verified before it is stored), rotation,
disconnect, and who may do it. The provider is Runway's emulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.runway import create_app
from reelforge.storage.credential_tables import CredentialRow
from tests.conftest import make_settings
from tests.helpers import serve_in_loop

KEY_A = "key_" + "a1" * 64
KEY_B = "key_" + "b2" * 64
BAD_KEY = "key_" + "0f" * 64


@dataclass
class Stack:
    container: Container
    client: httpx.AsyncClient
    seen_keys: list[str] = field(default_factory=list)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    emulator = create_app(EmulatorConfig(keys={KEY_A, KEY_B}))
    seen: list[str] = []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            auth = dict(scope["headers"]).get(b"authorization", b"").decode()
            seen.append(auth.removeprefix("Bearer "))
        await emulator(scope, receive, send)

    async with serve_in_loop(recording) as url:
        settings = make_settings(tmp_path / "home", provider_base_urls={"runway": url})
        async with open_container(settings) as container:
            key = settings.owner_key_path.read_text().strip()
            transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://testserver",
                headers={"Authorization": f"Bearer {key}"},
            ) as client:
                yield Stack(container, client, seen)


async def _stored(container: Container) -> list[CredentialRow]:
    async with container.db.session() as s:
        return list((await s.execute(select(CredentialRow))).scalars())


async def test_connect_verifies_stores_encrypted_and_shows_balance(stack: Stack) -> None:
    r = await stack.client.post(
        "/v1/setup/providers/runway/connect", json={"values": {"api_key": KEY_A}}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["provider"] == "runway"
    assert body["balance"]["unit"] == "credits" and body["balance"]["amount"] > 0
    assert "Connected to Runway" in body["message"] and "balance" in body["message"]
    assert KEY_A not in r.text
    assert stack.seen_keys and stack.seen_keys[-1] == KEY_A, "verified against the provider"
    rows = await _stored(stack.container)
    assert len(rows) == 1 and KEY_A.encode() not in rows[0].ciphertext
    # The matrix shows it connected, live, with its stored key, at once.
    matrix = (await stack.client.get("/v1/setup/healthcheck", params={"fresh": "false"})).json()
    runway = next(p for p in matrix["providers"] if p["id"] == "runway")
    assert runway["status"] == "connected" and runway["key_from"] == "stored"
    assert runway["connection"] == "live" and runway["balance"]["amount"] > 0
    assert KEY_A not in str(matrix)


async def test_bad_key_is_auth_failed_and_not_stored(stack: Stack) -> None:
    r = await stack.client.post(
        "/v1/setup/providers/runway/connect", json={"values": {"api_key": BAD_KEY}}
    )
    assert r.status_code == 424, r.text
    error = r.json()["error"]
    assert error["code"] == "AUTH_FAILED" and error["detail"]["provider"] == "runway"
    assert error["detail"]["stored"] is False and "not stored" in error["message"]
    assert any("connect" in step for step in error["remediation"])
    assert BAD_KEY not in r.text
    assert await _stored(stack.container) == []


async def test_rotation_takes_effect_on_the_next_call(stack: Stack) -> None:
    c = stack.client
    assert (
        await c.post("/v1/setup/providers/runway/connect", json={"values": {"api_key": KEY_A}})
    ).status_code == 200
    r = await c.post("/v1/setup/providers/runway/connect", json={"values": {"api_key": KEY_B}})
    assert r.status_code == 200, r.text
    stack.seen_keys.clear()
    assert (await c.post("/v1/providers/runway/test")).status_code == 200
    assert stack.seen_keys and set(stack.seen_keys) == {KEY_B}, "the old key is not used again"
    # A refused replacement leaves the working key in place.
    bad = await c.post("/v1/setup/providers/runway/connect", json={"values": {"api_key": BAD_KEY}})
    assert bad.json()["error"]["code"] == "AUTH_FAILED"
    stack.seen_keys.clear()
    assert (await c.post("/v1/providers/runway/test")).status_code == 200
    assert set(stack.seen_keys) == {KEY_B}
    assert len(await _stored(stack.container)) == 1


async def test_disconnect_removes_the_key(stack: Stack) -> None:
    c = stack.client
    await c.post("/v1/setup/providers/runway/connect", json={"values": {"api_key": KEY_A}})
    r = await c.delete("/v1/setup/providers/runway/connect")
    assert r.status_code == 200 and r.json()["ok"] is True
    assert await _stored(stack.container) == []
    again = await c.delete("/v1/setup/providers/runway/connect")
    assert again.status_code == 404 and again.json()["error"]["code"] == "NOT_FOUND"
    # Without a stored key Runway is back on the sandbox emulator.
    matrix = (await c.get("/v1/setup/healthcheck")).json()
    runway = next(p for p in matrix["providers"] if p["id"] == "runway")
    assert runway["connection"] == "sandbox" and runway["sandbox"] is True


async def test_bad_input_is_refused_before_any_call(stack: Stack) -> None:
    c = stack.client
    unknown = await c.post("/v1/setup/providers/runway/connect", json={"values": {"token": KEY_A}})
    assert unknown.json()["error"]["code"] == "CONTRACT_MISMATCH"
    extra = await c.post(
        "/v1/setup/providers/runway/connect", json={"values": {"api_key": KEY_A}, "x": 1}
    )
    assert extra.json()["error"]["code"] == "CONTRACT_MISMATCH"
    missing = await c.post("/v1/setup/providers/runway/connect", json={"values": {}})
    assert missing.json()["error"]["code"] == "VALIDATION_ERROR"
    nobody = await c.post("/v1/setup/providers/nope/connect", json={"values": {"api_key": "x"}})
    assert nobody.status_code == 404
    assert stack.seen_keys == [] and await _stored(stack.container) == []


async def test_only_owner_or_admin_may_connect(stack: Stack) -> None:
    c = stack.client
    made = await c.post("/v1/users", json={"name": "mia", "role": "member"})
    assert made.status_code == 201, made.text
    keyed = await c.post(f"/v1/users/{made.json()['id']}/keys", json={"label": "m"})
    member_key = keyed.json()["key"]
    headers = {"Authorization": f"Bearer {member_key}"}
    r = await c.post(
        "/v1/setup/providers/runway/connect",
        json={"values": {"api_key": KEY_A}},
        headers=headers,
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"
    stop = await c.post("/v1/setup/engines/comfyui/start", headers=headers)
    assert stop.status_code == 403
    assert (await c.get("/v1/setup/diagnostics", headers=headers)).status_code == 403
    # Everyone may read the matrix (their own keys).
    assert (await c.get("/v1/setup/healthcheck", headers=headers)).status_code == 200
    assert stack.seen_keys == []
