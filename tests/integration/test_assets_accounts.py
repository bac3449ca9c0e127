"""Email/password accounts: sign up, verification, sign in (a session key that the
studio's routes accept, with a signed-in user's HD access), reset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.assets_world import AssetsWorld, open_assets_world

ACC = "/v1/assets/accounts"


@pytest.fixture
async def aw(tmp_path: Path) -> AsyncIterator[AssetsWorld]:
    async for w in open_assets_world(tmp_path):
        yield w


async def test_sign_up_verify_sign_in_reset(aw: AssetsWorld) -> None:
    g = aw.guest
    creds = {"email": "Ada@Example.com", "password": "correct horse battery"}
    r = await g.post(f"{ACC}/signup", json=creds)
    assert r.status_code == 201, r.text
    token = r.json()["verification_token"]
    assert (await g.post(f"{ACC}/signup", json=creds)).status_code == 409
    r = await g.post(f"{ACC}/signin", json=creds)
    assert r.status_code == 403 and r.json()["error"]["detail"]["verified"] is False
    assert (await g.post(f"{ACC}/verify", json={"token": token})).status_code == 200
    assert (await g.post(f"{ACC}/verify", json={"token": token})).status_code == 404  # single use
    bad = await g.post(f"{ACC}/signin", json={**creds, "password": "wrong password!!"})
    unknown = await g.post(f"{ACC}/signin", json={**creds, "email": "nobody@example.com"})
    assert bad.status_code == unknown.status_code == 401
    assert bad.json()["error"]["message"] == unknown.json()["error"]["message"]
    r = await g.post(f"{ACC}/signin", json={**creds, "email": "ada@example.com"})
    assert r.status_code == 200, r.text
    session = r.json()["session_token"]
    # A browser is signed in too: the studio's session cookie works on the core routes.
    cookie = r.headers.get_list("set-cookie")
    assert any(c.startswith("rf_session=") and "HttpOnly" in c for c in cookie), cookie
    headers = {"Authorization": f"Bearer {session}"}
    # Signed in: HD is allowed (the guest is refused), and workspaces exist.
    r = await g.post(
        "/api/generate",
        json={"mode": "vector", "prompt": "a leaf", "quality": "hd", "seed": 4},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["quality"] == "hd", r.text
    r = await g.post("/v1/assets/workspaces", json={"mode": "vector", "name": "v"}, headers=headers)
    assert r.status_code == 201
    # Reset: the same answer for an unknown email; the old password stops working.
    nobody = await g.post(f"{ACC}/reset-request", json={"email": "nobody@example.com"})
    assert nobody.status_code == 202 and "reset_token" not in nobody.json()
    reset = (await g.post(f"{ACC}/reset-request", json={"email": "ada@example.com"})).json()
    r = await g.post(f"{ACC}/reset", json={"token": reset["reset_token"], "password": "short"})
    assert r.status_code == 422
    new = "a much better passphrase"
    r = await g.post(f"{ACC}/reset", json={"token": reset["reset_token"], "password": new})
    assert r.status_code == 200
    assert (await g.post(f"{ACC}/signin", json=creds)).status_code == 401
    assert (await g.post(f"{ACC}/signin", json={**creds, "password": new})).status_code == 200
    # The account's password is stored as an argon2 hash only.
    from sqlalchemy import select

    from reelforge.apps.assets.tables import AccountRow

    async with aw.container.db.session() as s:
        stored = (await s.execute(select(AccountRow.password_hash))).scalar_one()
    assert stored.startswith("$argon2id$") and new not in stored
