"""A live model whose price is unknown never runs unheld at zero cost (issue 18, item 8):
it needs the owner's price for the model or the node's ``max_micros`` cap, which is held
and charged at most; the run view says which price was assumed and why."""

from __future__ import annotations

import asyncio

import httpx

from reelforge.app import api_app
from reelforge.domain.identity import Role
from reelforge.storage import identity
from tests.integration.routing_world import World

UNPRICED = "fal/flux-schnell"  # fal publishes no price for it (the catalog says unknown)


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


def _body(**extra: object) -> dict[str, object]:
    return {"model": UNPRICED, "prompt": "a lighthouse at dusk", **extra}


async def test_unknown_price_without_a_price_or_cap_is_refused_for_everyone(
    world: World,
) -> None:
    async with await _member(world) as member:
        for caller in (member, world.client):
            r = await caller.post("/v1/generations", json=_body())
            assert r.status_code == 422, r.text
            error = r.json()["error"]
            assert error["code"] == "PRICE_UNKNOWN"
            steps = " ".join(error["remediation"])
            assert "max_micros" in steps and f"PUT /v1/models/{UNPRICED}/price" in steps
            assert (await caller.get("/v1/runs")).json()["runs"] == []
    assert world.fal.submits() == []  # no provider was called


async def test_a_cap_is_held_and_charged_at_most(world: World) -> None:
    async with await _member(world) as member:
        r = await member.post("/v1/generations", json=_body(max_micros=30_000))
        assert r.status_code == 202, r.text
        queued = r.json()
        assert queued["hold_micros"] == 30_000 and queued["quote_micros"] == 30_000
        run_id = queued["id"]
        for _ in range(600):
            run = (await member.get(f"/v1/runs/{run_id}")).json()
            if run["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.1)
        assert run["status"] == "succeeded", run
        step = run["steps"][0]
        assumed = step["price_assumed"]
        assert {k: assumed[k] for k in ("model", "source", "micros", "cap")} == {
            "model": UNPRICED,
            "source": "max_micros_cap",
            "micros": 30_000,
            "cap": True,
        }
        assert "max_micros" in assumed["note"]
        assert 0 < step["cost_micros"] <= 30_000 and run["cost_micros"] == step["cost_micros"]
        ledger = (await member.get("/v1/credits/ledger", params={"run_id": run_id})).json()
        kinds = {e["kind"] for e in ledger["entries"]}
        assert {"hold", "capture"} <= kinds


async def test_the_owner_price_lets_members_run_it(world: World) -> None:
    async with await _member(world) as member:
        denied = await member.put(f"/v1/models/{UNPRICED}/price", json={"micros": 5_000})
        assert denied.status_code == 403
        set_ = await world.client.put(f"/v1/models/{UNPRICED}/price", json={"micros": 5_000})
        assert set_.status_code == 200, set_.text
        assert set_.json()["kind"] == "price" and set_.json()["display"] == "$0.005"
        seen = await member.get(f"/v1/models/{UNPRICED}/price")
        assert seen.status_code == 200 and seen.json()["micros"] == 5_000
        r = await member.post("/v1/generations", json=_body(), headers={"Prefer": "wait=30"})
        run = r.json()
        assert run["status"] == "succeeded", run
        assert run["hold_micros"] == 5_000
        step = run["steps"][0]
        assert step["price_assumed"]["source"] == "owner_price"
        assert step["price_assumed"]["micros"] == 5_000
        assert step["cost_micros"] == 5_000  # the provider reported no cost of its own
        # A cap on the node below the owner's price wins (charged at most the cap).
        capped = await member.post("/v1/generations", json=_body(max_micros=2_000))
        assert capped.json()["hold_micros"] == 2_000
        assert capped.json()["steps"][0]["price_assumed"]["source"] == "max_micros_cap"
        gone = await world.client.delete(f"/v1/models/{UNPRICED}/price")
        assert gone.status_code == 204
        again = await member.post("/v1/generations", json=_body())
        assert again.json()["error"]["code"] == "PRICE_UNKNOWN"
        assert (await member.get(f"/v1/models/{UNPRICED}/price")).status_code == 404


async def test_known_prices_are_the_catalogs_and_cannot_be_overridden(world: World) -> None:
    r = await world.client.put("/v1/models/fal/flux-dev/price", json={"micros": 1})
    assert r.status_code == 409 and r.json()["error"]["code"] == "CONFLICT"
    run = (
        await world.client.post(
            "/v1/generations", json={"model": "fal/flux-dev", "prompt": "a fox"}
        )
    ).json()
    assumed = run["steps"][0]["price_assumed"]
    assert assumed["source"] == "catalog" and assumed["micros"] == run["quote_micros"] > 0
    over = await world.client.post(
        "/v1/generations", json={"model": "fal/flux-dev", "prompt": "a fox", "max_micros": 1}
    )
    assert over.status_code == 422 and "max_micros" in over.json()["error"]["message"]


async def test_an_owner_cap_is_held_and_charged_at_most(world: World) -> None:
    r = await world.client.put(
        f"/v1/models/{UNPRICED}/price", json={"kind": "cap", "micros": 7_000}
    )
    assert r.status_code == 200 and r.json()["kind"] == "cap"
    run = (
        await world.client.post("/v1/generations", json=_body(), headers={"Prefer": "wait=30"})
    ).json()
    assert run["status"] == "succeeded", run
    assumed = run["steps"][0]["price_assumed"]
    assert (assumed["source"], assumed["micros"], assumed["cap"]) == ("owner_price", 7_000, True)
    assert "cap" in assumed["note"]
    # The owner runs on the owner's own (environment) keys: no plan hold; the cap prices it.
    assert run["hold_micros"] == 0 and 0 < run["cost_micros"] <= 7_000
    bad = await world.client.put(f"/v1/models/{UNPRICED}/price", json={"kind": "max", "micros": 1})
    assert bad.status_code == 422
