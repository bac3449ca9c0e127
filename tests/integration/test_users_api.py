"""/v1/users and keys over HTTP: who may manage whom, one owner, plans through the ledger,
key scopes and expiry, and deactivation that keeps runs and ledger entries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update

from reelforge.container import Container
from reelforge.storage.identity_tables import ApiKeyRow
from reelforge.storage.tables import utcnow


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def make_user(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await client.post("/v1/users", json={"name": "someone", **body})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def key_for(client: httpx.AsyncClient, user_id: str, **body: Any) -> str:
    r = await client.post(f"/v1/users/{user_id}/keys", json=body)
    assert r.status_code == 201, r.text
    return r.json()["key"]  # type: ignore[no-any-return]


def error(r: httpx.Response) -> dict[str, Any]:
    return r.json()["error"]  # type: ignore[no-any-return]


async def test_owner_creates_lists_and_shows_users(client: httpx.AsyncClient) -> None:
    member = await make_user(client, name="Mia", email="Mia@Example.com")
    agent = await make_user(client, name="scriptwriter", role="agent", plan_id="pro")
    assert member["role"] == "member" and member["email"] == "mia@example.com"
    assert member["plan_id"] == "free" and member["active"] is True
    assert agent["role"] == "agent" and agent["plan_id"] == "pro"
    listing = (await client.get("/v1/users")).json()["users"]
    assert [u["role"] for u in listing] == ["owner", "member", "agent"]
    agents = (await client.get("/v1/users", params={"role": "agent"})).json()["users"]
    assert [u["id"] for u in agents] == [agent["id"]]
    page = (await client.get("/v1/users", params={"limit": 2})).json()
    assert [u["role"] for u in page["users"]] == ["owner", "member"]
    rest = (await client.get("/v1/users", params={"after": page["next_after"]})).json()
    assert [u["id"] for u in rest["users"]] == [agent["id"]] and rest["next_after"] is None
    shown = await client.get(f"/v1/users/{agent['id']}")
    assert shown.status_code == 200 and shown.json()["name"] == "scriptwriter"
    missing = await client.get("/v1/users/usr_nope")
    assert missing.status_code == 404 and error(missing)["code"] == "NOT_FOUND"
    # The agent's plan came through the ledger's plan change: its wallet says so.
    credits = (await client.get("/v1/credits", params={"user_id": agent["id"]})).json()
    assert credits["plan"]["id"] == "pro" and credits["allocation"]["micros"] == 20_000_000
    ledger = (await client.get("/v1/credits/ledger", params={"user_id": agent["id"]})).json()
    kinds = {e["kind"] for e in ledger["entries"]}
    assert {"plan_grant", "plan_change"} <= kinds
    owner_id = (await client.get("/v1/me")).json()["id"]
    change = next(e for e in ledger["entries"] if e["kind"] == "plan_change")
    assert change["actor_id"] == owner_id


async def test_bad_user_input_is_refused_clearly(client: httpx.AsyncClient) -> None:
    await make_user(client, email="dup@example.com")
    dup = await client.post("/v1/users", json={"name": "x", "email": "DUP@example.com"})
    assert dup.status_code == 409 and error(dup)["code"] == "CONFLICT"
    assert "dup@example.com" in error(dup)["message"]
    bad = await client.post("/v1/users", json={"name": "x", "email": "not-an-email"})
    assert bad.status_code == 422 and error(bad)["code"] == "VALIDATION_ERROR"
    owner = await client.post("/v1/users", json={"name": "x", "role": "owner"})
    assert owner.status_code == 422 and "exactly one" in error(owner)["message"]
    role = await client.post("/v1/users", json={"name": "x", "role": "boss"})
    assert role.status_code == 422
    plan = await client.post("/v1/users", json={"name": "x", "plan_id": "platinum"})
    assert plan.status_code == 404 and error(plan)["detail"]["plans"] == ["free", "pro", "studio"]
    extra = await client.post("/v1/users", json={"name": "x", "colour": "red"})
    assert error(extra)["code"] == "CONTRACT_MISMATCH"
    # Nothing half-written: the refused users do not exist.
    names = [u["name"] for u in (await client.get("/v1/users")).json()["users"]]
    assert names == ["owner", "someone"]


async def test_only_the_owner_manages_admins_and_nobody_touches_the_owner(
    client: httpx.AsyncClient,
) -> None:
    me = (await client.get("/v1/me")).json()
    admin = await make_user(client, name="Ada", role="admin")
    other_admin = await make_user(client, name="Bo", role="admin")
    admin_h = bearer(await key_for(client, admin["id"]))
    # An admin manages members and agents...
    member = (await client.post("/v1/users", json={"name": "m"}, headers=admin_h)).json()
    r = await client.patch(f"/v1/users/{member['id']}", json={"plan_id": "pro"}, headers=admin_h)
    assert r.status_code == 200 and r.json()["plan_id"] == "pro"
    # ...but cannot make, change or remove admins, nor touch the owner.
    for r in (
        await client.post("/v1/users", json={"name": "a", "role": "admin"}, headers=admin_h),
        await client.patch(f"/v1/users/{member['id']}", json={"role": "admin"}, headers=admin_h),
        await client.patch(f"/v1/users/{other_admin['id']}", json={"name": "x"}, headers=admin_h),
        await client.delete(f"/v1/users/{other_admin['id']}", headers=admin_h),
        await client.patch(f"/v1/users/{me['id']}", json={"name": "x"}, headers=admin_h),
        await client.delete(f"/v1/users/{me['id']}", headers=admin_h),
        await client.post(f"/v1/users/{me['id']}/keys", json={}, headers=admin_h),
        await client.get(f"/v1/users/{me['id']}/keys", headers=admin_h),
    ):
        assert r.status_code == 403 and error(r)["code"] == "FORBIDDEN", r.text
    # Members and agents manage nobody.
    member_h = bearer(await key_for(client, member["id"]))
    r = await client.get("/v1/users", headers=member_h)
    assert r.status_code == 403 and "owner or admin" in error(r)["message"]
    # The owner is never deleted or demoted (there is always exactly one).
    r = await client.delete(f"/v1/users/{me['id']}")
    assert r.status_code == 409 and "hand ownership" in error(r)["remediation"][0].lower()
    r = await client.patch(f"/v1/users/{me['id']}", json={"role": "admin"})
    assert r.status_code == 409 and "demoted" in error(r)["message"]


async def test_ownership_is_handed_over_not_duplicated(client: httpx.AsyncClient) -> None:
    me = (await client.get("/v1/me")).json()
    heir = await make_user(client, name="heir", role="admin")
    r = await client.patch(f"/v1/users/{heir['id']}", json={"role": "owner"})
    assert r.status_code == 200 and r.json()["role"] == "owner"
    roles = {u["id"]: u["role"] for u in (await client.get("/v1/users")).json()["users"]}
    assert roles == {me["id"]: "admin", heir["id"]: "owner"}
    # The old owner is an admin now: it cannot take ownership back by itself.
    r = await client.patch(f"/v1/users/{me['id']}", json={"role": "owner"})
    assert r.status_code == 403


async def test_keys_for_a_managed_user_scopes_and_expiry(
    client: httpx.AsyncClient, container: Container
) -> None:
    agent = await make_user(client, name="agent", role="agent")
    r = await client.post(
        f"/v1/users/{agent['id']}/keys",
        json={"label": "votes", "scopes": ["read"], "expires_in_days": 30},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["key"].startswith(created["prefix"]) and created["scopes"] == ["read"]
    assert created["state"] == "active" and created["expires_at"] > created["created_at"]
    read_h = bearer(created["key"])
    me = await client.get("/v1/me", headers=read_h)
    assert me.status_code == 200 and me.json()["key_scopes"] == ["read"]
    quote = await client.post(
        "/v1/quotes", json={"items": [{"model": "fal/flux-dev"}]}, headers=read_h
    )
    assert quote.status_code != 403, quote.text  # computing a price is a read
    run = await client.post(
        "/v1/generations", json={"model": "fal/flux-dev", "prompt": "x"}, headers=read_h
    )
    assert run.status_code == 403 and error(run)["detail"]["needed_scope"] == "generate"
    upload = await client.post("/v1/uploads", files={"file": ("a.png", b"x")}, headers=read_h)
    assert upload.status_code == 403
    listing = (await client.get(f"/v1/users/{agent['id']}/keys")).json()["keys"]
    assert [(k["label"], k["scopes"], k["state"]) for k in listing] == [
        ("votes", ["read"], "active")
    ]
    assert listing[0]["last_used_at"] is not None and "key" not in listing[0]
    # An expired key is refused, saying so.
    async with container.db.transaction() as s:
        await s.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == created["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    from reelforge.api.deps import forget_key_cache

    forget_key_cache()
    gone = await client.get("/v1/me", headers=read_h)
    assert gone.status_code == 401 and error(gone)["code"] == "AUTH_FAILED"
    assert "expired" in error(gone)["message"]
    state = (await client.get(f"/v1/users/{agent['id']}/keys")).json()["keys"][0]["state"]
    assert state == "expired"
    # Revoking: the key stops working at once and says it was revoked.
    key = await key_for(client, agent["id"], label="second")
    second = (await client.get(f"/v1/users/{agent['id']}/keys")).json()["keys"][1]
    r = await client.delete(f"/v1/users/{agent['id']}/keys/{second['id']}")
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    r = await client.get("/v1/me", headers=bearer(key))
    assert r.status_code == 401 and "revoked" in error(r)["message"]
    again = await client.delete(f"/v1/users/{agent['id']}/keys/{second['id']}")
    assert again.status_code == 404


async def test_bad_key_requests(client: httpx.AsyncClient) -> None:
    member = await make_user(client)
    url = f"/v1/users/{member['id']}/keys"
    for body, code in (
        ({"scopes": ["write"]}, 422),
        ({"scopes": []}, 422),
        ({"expires_in_days": 0}, 422),
        ({"expires_at": "2001-01-01T00:00:00Z"}, 422),
        ({"expires_at": "2099-01-01T00:00:00"}, 422),
        ({"expires_in_days": 3, "expires_at": "2099-01-01T00:00:00Z"}, 422),
    ):
        r = await client.post(url, json=body)
        assert r.status_code == code, (body, r.text)
        assert error(r)["code"] == "VALIDATION_ERROR", r.text
    assert (await client.get(url)).json()["keys"] == []


async def test_admin_routes_need_the_admin_scope(client: httpx.AsyncClient) -> None:
    me = (await client.get("/v1/me")).json()
    r = await client.post("/v1/me/keys", json={"label": "ci", "scopes": ["generate"]})
    assert r.status_code == 201, r.text
    generate_h = bearer(r.json()["key"])
    for r in (
        await client.get("/v1/users", headers=generate_h),
        await client.post(
            "/v1/credits/topups",
            json={"user_id": me["id"], "amount_micros": 1, "reason": "r", "idempotency_key": "k"},
            headers=generate_h,
        ),
    ):
        assert r.status_code == 403 and error(r)["detail"]["needed_scope"] == "admin"
    # A key cannot make a key that may do more than itself.
    r = await client.post("/v1/me/keys", json={"scopes": ["admin"]}, headers=generate_h)
    assert r.status_code == 403 and error(r)["detail"]["asked"] == ["admin"]
    r = await client.post("/v1/me/keys", json={"label": "wide"}, headers=generate_h)
    assert r.status_code == 201 and r.json()["scopes"] == ["generate"]


async def test_members_manage_their_own_keys(client: httpx.AsyncClient) -> None:
    member = await make_user(client)
    h = bearer(await key_for(client, member["id"], label="first"))
    made = await client.post("/v1/me/keys", json={"label": "laptop"}, headers=h)
    assert made.status_code == 201, made.text
    mine = (await client.get("/v1/me/keys", headers=h)).json()["keys"]
    assert [k["label"] for k in mine] == ["first", "laptop"]
    assert all(k["user_id"] == member["id"] for k in mine)
    r = await client.delete(f"/v1/me/keys/{made.json()['id']}", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    # Someone else's key is not theirs to revoke.
    owner_key = (await client.get("/v1/me/keys")).json()["keys"][0]
    r = await client.delete(f"/v1/me/keys/{owner_key['id']}", headers=h)
    assert r.status_code == 404
    # A member changes no plan, not even their own.
    r = await client.patch(f"/v1/users/{member['id']}", json={"plan_id": "studio"}, headers=h)
    assert r.status_code == 403


async def test_delete_deactivates_keeps_history_and_can_be_undone(
    client: httpx.AsyncClient,
) -> None:
    member = await make_user(client, email="gone@example.com")
    h = bearer(await key_for(client, member["id"]))
    assert (await client.get("/v1/me", headers=h)).status_code == 200
    r = await client.delete(f"/v1/users/{member['id']}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"] is False and body["revoked_keys"] == 1 and body["canceled_runs"] == []
    r = await client.get("/v1/me", headers=h)
    assert r.status_code == 401 and error(r)["code"] == "AUTH_FAILED"
    assert [u["id"] for u in (await client.get("/v1/users")).json()["users"]] != [member["id"]]
    every = (await client.get("/v1/users", params={"include_deactivated": True})).json()
    assert member["id"] in [u["id"] for u in every["users"]]
    # The email stays taken, and the error says by whom.
    dup = await client.post("/v1/users", json={"name": "x", "email": "gone@example.com"})
    assert dup.status_code == 409 and error(dup)["detail"]["deactivated"] is True
    # A deactivated user gets no keys and no changes until reactivated.
    r = await client.post(f"/v1/users/{member['id']}/keys", json={})
    assert r.status_code == 409
    r = await client.patch(f"/v1/users/{member['id']}", json={"name": "back"})
    assert r.status_code == 409
    r = await client.patch(f"/v1/users/{member['id']}", json={"active": True})
    assert r.status_code == 200 and r.json()["active"] is True
    assert (await client.get("/v1/me", headers=h)).status_code == 401  # old keys stay revoked
    fresh = bearer(await key_for(client, member["id"]))
    assert (await client.get("/v1/me", headers=fresh)).status_code == 200
