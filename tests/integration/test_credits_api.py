"""/v1/credits over HTTP: balances, the ledger, admin top-ups and adjustments (audited)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from reelforge import billing
from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.domain.identity import Role
from reelforge.storage import identity
from tests.conftest import make_settings


async def _member(container: Container) -> tuple[str, dict[str, str]]:
    async with container.db.transaction() as s:
        user = await identity.create_user(s, "member", Role.MEMBER)
        _row, key = await identity.create_api_key(s, user.id)
    return user.id, {"Authorization": f"Bearer {key}"}


async def test_new_user_sees_the_free_plan(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/credits")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["plan"]["id"] == "free" and body["plan"]["max_workspaces"] == 3
    assert body["allocation"] == {
        "micros": 1_000_000,
        "credits": "100",
        "usd": "$1",
        "display": "100 credits",
    }
    assert body["topup"]["micros"] == 0 and body["held"]["micros"] == 0
    assert body["balance"]["micros"] == 1_000_000 and body["holds"] == []
    assert body["period_end"] > body["period_start"]
    assert body["unit"] == {"micros_per_credit": 10_000, "display": "credits"}
    plans = (await client.get("/v1/credits/plans")).json()
    assert [p["id"] for p in plans] == ["free", "pro", "studio"]


async def test_admin_topup_is_audited_and_idempotent(
    client: httpx.AsyncClient, container: Container
) -> None:
    member, _headers = await _member(container)
    body = {
        "user_id": member,
        "amount_credits": 250,
        "reason": "conference voucher",
        "idempotency_key": "voucher-1",
    }
    first = await client.post("/v1/credits/topups", json=body)
    assert first.status_code == 201, first.text
    out = first.json()
    assert out["kind"] == "topup" and not out["replayed"]
    assert out["amount"]["micros"] == 2_500_000 and out["amount"]["usd"] == "$2.5"
    assert out["reason"] == "conference voucher" and out["source"] == "admin"
    owner = (await client.get("/v1/me")).json()["id"]
    assert out["actor_id"] == owner and out["created_at"]
    assert out["wallet"]["topup"]["micros"] == 2_500_000
    assert out["wallet"]["balance"]["credits"] == "350"
    again = await client.post("/v1/credits/topups", json=body)
    assert again.status_code == 200 and again.json()["replayed"]
    assert again.json()["id"] == out["id"]
    assert again.json()["wallet"]["topup"]["micros"] == 2_500_000
    in_micros = await client.post(
        "/v1/credits/topups",
        json={"user_id": member, "amount_micros": 5, "reason": "x", "idempotency_key": "m-1"},
    )
    assert in_micros.json()["wallet"]["topup"]["micros"] == 2_500_005


async def test_topup_contract(client: httpx.AsyncClient, container: Container) -> None:
    member, _ = await _member(container)
    both = {"user_id": member, "amount_micros": 1, "amount_credits": 1, "reason": "r"}
    r = await client.post("/v1/credits/topups", json={**both, "idempotency_key": "k"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "VALIDATION_ERROR"
    r = await client.post(
        "/v1/credits/topups",
        json={"user_id": member, "amount_credits": 1, "idempotency_key": "k"},
    )
    assert r.json()["error"]["code"] == "CONTRACT_MISMATCH"
    assert r.json()["error"]["detail"]["missing_fields"] == ["reason"]
    r = await client.post(
        "/v1/credits/topups",
        json={"user_id": member, "amount_credits": -3, "reason": "r", "idempotency_key": "k"},
    )
    assert r.status_code == 422
    r = await client.post(
        "/v1/credits/topups",
        json={"user_id": "usr_nobody", "amount_credits": 3, "reason": "r", "idempotency_key": "k"},
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"


async def test_admin_routes_need_the_admin_role(
    client: httpx.AsyncClient, container: Container
) -> None:
    member, headers = await _member(container)
    topup = {"user_id": member, "amount_credits": 10, "reason": "me", "idempotency_key": "k"}
    r = await client.post("/v1/credits/topups", json=topup, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"
    adj = {**topup, "amount_credits": 5}
    assert (
        await client.post("/v1/credits/adjustments", json=adj, headers=headers)
    ).status_code == 403
    assert (await client.get("/v1/credits/verify", headers=headers)).status_code == 403
    owner = (await client.get("/v1/me")).json()["id"]
    r = await client.get("/v1/credits", params={"user_id": owner}, headers=headers)
    assert r.status_code == 403
    mine = await client.get("/v1/credits", headers=headers)
    assert mine.status_code == 200 and mine.json()["user_id"] == member
    # An admin may look at anyone's credits.
    r = await client.get("/v1/credits", params={"user_id": member})
    assert r.status_code == 200 and r.json()["user_id"] == member


async def test_adjustments_need_a_reason_and_cannot_overdraw(
    client: httpx.AsyncClient, container: Container
) -> None:
    member, _ = await _member(container)
    base = {"user_id": member, "idempotency_key": "adj-1"}
    r = await client.post("/v1/credits/adjustments", json={**base, "amount_credits": 5})
    assert r.json()["error"]["detail"]["missing_fields"] == ["reason"]
    r = await client.post(
        "/v1/credits/adjustments", json={**base, "amount_credits": 5, "reason": ""}
    )
    assert r.status_code == 422
    r = await client.post(
        "/v1/credits/adjustments",
        json={**base, "amount_credits": -5, "reason": "refund clawback"},
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "CONFLICT"
    r = await client.post(
        "/v1/credits/adjustments",
        json={**base, "amount_credits": -30, "reason": "abuse", "account": "allocation"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["wallet"]["allocation"]["credits"] == "70"
    assert r.json()["reason"] == "abuse" and r.json()["kind"] == "adjustment"


async def test_ledger_pages_and_run_filter(client: httpx.AsyncClient, container: Container) -> None:
    owner = (await client.get("/v1/me")).json()["id"]
    async with container.db.transaction() as s:
        await billing.credit_topup(s, owner, 3_000_000, idempotency_key="t")
        for run in ("run_1", "run_2"):
            await billing.place_hold(s, owner, run, 500_000, f"hold:{run}")
            await billing.capture(s, run, "s1", 120_000)
            await billing.release(s, run)
    r = await client.get("/v1/credits/ledger", params={"run_id": "run_1"})
    assert r.status_code == 200
    entries = r.json()["entries"]
    assert {e["run_id"] for e in entries} == {"run_1"}
    assert {e["kind"] for e in entries} == {"hold", "capture", "release"}
    spent = sum(e["amount"]["micros"] for e in entries)
    assert spent == -120_000  # the user's side of one run: what it cost, nothing else
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 3}
        if cursor is not None:
            params["cursor"] = cursor
        page = (await client.get("/v1/credits/ledger", params=params)).json()
        seen += [e["id"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    total = sum(
        e["amount"]["micros"]
        for e in (await client.get("/v1/credits/ledger", params={"limit": 200})).json()["entries"]
    )
    credits = (await client.get("/v1/credits")).json()
    assert total == credits["balance"]["micros"] + credits["held"]["micros"]
    newest_topup = next(
        e
        for e in (await client.get("/v1/credits/ledger")).json()["entries"]
        if e["kind"] == "topup"
    )
    assert newest_topup["account"] == "topup" and newest_topup["amount"]["micros"] == 3_000_000
    assert newest_topup["balance_after"]["micros"] == 3_000_000
    verify = (await client.get("/v1/credits/verify")).json()
    assert verify["ok"] and verify["total_micros"] == 0


async def test_admin_changes_a_users_plan(client: httpx.AsyncClient, container: Container) -> None:
    member, headers = await _member(container)
    r = await client.post(
        "/v1/credits/plan",
        json={"user_id": member, "plan_id": "studio", "reason": "sales", "idempotency_key": "p1"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["plan"]["id"] == "studio" and r.json()["allocation"]["usd"] == "$100"
    r = await client.post(
        "/v1/credits/plan",
        json={"user_id": member, "plan_id": "nope", "reason": "x", "idempotency_key": "p2"},
    )
    assert r.status_code == 404
    held = (await client.get("/v1/credits", headers=headers)).json()
    assert held["plan"]["rate_limit_multiplier"] == 10.0


async def test_plans_file_and_dollar_display_by_setting(tmp_path: Path) -> None:
    plans = tmp_path / "plans.json"
    plans.write_text(
        json.dumps(
            {
                "plans": [
                    {
                        "id": "hobby",
                        "name": "Hobby",
                        "monthly_allocation_usd": "5",
                        "rate_limit_multiplier": 2,
                        "max_workspaces": 1,
                    },
                    {
                        "id": "team",
                        "name": "Team",
                        "monthly_allocation_usd": "50.5",
                        "rate_limit_multiplier": 5,
                        "max_workspaces": 9,
                    },
                ]
            }
        )
    )
    settings = make_settings(
        tmp_path / "h",
        credit_display="usd",
        credit_micros=1_000,
        plans_file=plans,
        default_plan="hobby",
    )
    async with open_container(settings) as c:
        key = c.settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(c))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers={"Authorization": f"Bearer {key}"}
        ) as cl:
            body = (await cl.get("/v1/credits")).json()
            listed = (await cl.get("/v1/credits/plans")).json()
    assert body["plan"]["id"] == "hobby"
    assert body["allocation"]["display"] == "$5" and body["allocation"]["credits"] == "5000"
    assert body["unit"] == {"micros_per_credit": 1_000, "display": "usd"}
    assert [(p["id"], p["is_default"]) for p in listed] == [("hobby", True), ("team", False)]
    assert listed[1]["monthly_allocation"]["micros"] == 50_500_000
