"""Whose money pays (issue 28, item 3): spend on a user's own keys (stored, or the owner's
environment keys) is recorded and checked against optional budgets, never plan credits;
keys the operator lends to members are gated by the plan."""

from __future__ import annotations

import httpx

from reelforge.app import api_app
from reelforge.domain.identity import Role
from reelforge.storage import identity
from tests.integration.routing_world import World

UNPRICED = "fal/flux-schnell"


async def _member(world: World) -> httpx.AsyncClient:
    async with world.container.db.transaction() as session:
        user = await identity.create_user(session, "member", Role.MEMBER)
        _row, key = await identity.create_api_key(session, user.id)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api_app(world.container), raise_app_exceptions=False),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def _body(micros: int) -> dict[str, object]:
    return {"model": UNPRICED, "prompt": "a lighthouse at dusk", "max_micros": micros}


async def test_owner_runs_past_the_plan_on_own_keys(world: World) -> None:
    # $2.50 of own-key spend, above the default plan's $1 a month: not capped.
    for _ in range(2):
        r = await world.client.post(
            "/v1/generations", json=_body(1_250_000), headers={"Prefer": "wait=30"}
        )
        assert r.status_code in (200, 201, 202), r.text
        run = r.json()
        if run["status"] not in ("succeeded", "failed"):
            run = await world.wait(run["id"])
        assert run["status"] == "succeeded", run
        assert run["hold_micros"] == 0 and run["billing"]["payer"] == "own_keys"
        ledger = (await world.client.get("/v1/credits/ledger", params={"run_id": run["id"]})).json()
        assert {e["kind"] for e in ledger["entries"]} == {"own_key_spend"}
    credits = (await world.client.get("/v1/credits")).json()
    assert (
        credits["allocation"]["micros"] == credits["plan"]["monthly_allocation"]["micros"]
    )  # untouched
    assert credits["own_keys"]["spent_micros"] == 2_500_000
    assert "owner" in credits["own_keys"]["applies_to"]
    verify = await world.client.get("/v1/credits/verify")
    assert verify.status_code == 200 and verify.json()["ok"], verify.text


async def test_member_on_lent_keys_is_capped_by_the_plan(world: World) -> None:
    async with await _member(world) as member:
        quote = await member.post("/v1/quotes", json={"nodes": [{"id": "a", **_body(2_000_000)}]})
        if quote.status_code == 200:
            assert quote.json()["billing"]["payer"] == "plan_credits"
        r = await member.post("/v1/generations", json=_body(2_000_000))
        assert r.status_code == 402, r.text
        assert r.json()["error"]["code"] == "INSUFFICIENT_FUNDS"
        assert world.fal.submits() == []  # the refused run called no provider
        ok = await member.post("/v1/generations", json=_body(30_000))
        assert ok.status_code == 202 and ok.json()["hold_micros"] == 30_000
        assert ok.json()["billing"]["payer"] == "plan_credits"


async def test_budget_soft_warning_then_hard_stop(world: World) -> None:
    r = await world.client.put(
        "/v1/me/budget", json={"soft_micros": 40_000, "hard_micros": 100_000}
    )
    assert r.status_code == 200, r.text
    bad = await world.client.put("/v1/me/budget", json={"soft_micros": 5, "hard_micros": 1})
    assert bad.status_code == 422
    unknown = await world.client.put("/v1/me/budget", json={"soft": 5})
    assert unknown.status_code == 422
    first = await world.generate(model=UNPRICED, max_micros=50_000, fallbacks=[])
    assert first["status"] == "succeeded", first
    assert first["billing"]["budget_warnings"], first["billing"]  # 50k ≥ soft 40k
    assert "budget.warning" in await world.events(first["id"])
    credits = (await world.client.get("/v1/credits")).json()
    assert credits["own_keys"]["spent_micros"] == 50_000 and credits["own_keys"]["warnings"]
    submits = len(world.fal.submits())
    stop = await world.client.post("/v1/generations", json=_body(60_000))
    assert stop.status_code == 402, stop.text
    error = stop.json()["error"]
    assert error["code"] == "BUDGET_EXCEEDED"
    assert error["detail"]["spent_micros"] == 50_000 and error["detail"]["hard_micros"] == 100_000
    assert len(world.fal.submits()) == submits  # refused before any provider call
    # A per-key budget stops that key alone.
    await world.client.put("/v1/me/budget", json={"soft_micros": None, "hard_micros": None})
    key = await world.client.put(
        "/v1/providers/fal/credential/budget", json={"hard_micros": 60_000}
    )
    assert key.status_code == 200, key.text
    again = await world.client.post("/v1/generations", json=_body(20_000))
    assert again.json()["error"]["code"] == "BUDGET_EXCEEDED"
    assert again.json()["error"]["detail"]["provider"] == "fal"
    fine = await world.client.post("/v1/generations", json=_body(10_000))
    assert fine.status_code == 202, fine.text
