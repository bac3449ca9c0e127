"""Orders end to end in sandbox: a Grok order executes into an image, a post and a delivered
order; money moves through the ledger exactly once (idempotent creation, 50 executes at
once, failure refunds, cancel releases); nobody sees another buyer's orders."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from reelforge import billing
from reelforge.storage.ledger_tables import TransactionRow
from reelforge.storage.run_tables import RunRow
from tests.helpers import png_bytes
from tests.integration.market_world import MarketWorld, market_world

GROK_IMAGE = "svc_atelier_grok_grok_2_image"
KLING_T2V = "svc_atelier_kling_t2v_5s"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[MarketWorld]:
    async with market_world(tmp_path / "home") as w:
        yield w


async def balance(world: MarketWorld, user_id: str) -> int:
    async with world.container.db.transaction() as s:
        state = await billing.ensure_period(s, user_id)  # makes the wallet on first use
    return state.allocation_micros + state.topup_micros


async def ledger_ok(world: MarketWorld) -> None:
    async with world.container.db.session() as s:
        report = await billing.verify_balances(s)
    assert report.ok, report


async def submissions(world: MarketWorld, provider: str) -> int:
    emulator = world.container.hub.sandbox_endpoints[provider].client
    stats = (await emulator.get("/__emulator/stats")).json()
    return int(stats["submissions"].get("total", 0))


async def captures_of(world: MarketWorld, order_id: str) -> int:
    async with world.container.db.session() as s:
        return int(
            (
                await s.execute(
                    select(func.count())
                    .select_from(TransactionRow)
                    .where(TransactionRow.run_id == order_id, TransactionRow.kind == "capture")
                )
            ).scalar_one()
        )


async def place(client: httpx.AsyncClient, service_id: str, **extra: Any) -> dict[str, Any]:
    r = await client.post(
        "/api/atelier/orders", json={"service_id": service_id, "brief": "a lighthouse at dusk"}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_execute_a_grok_order_generates_an_image_posts_it_and_delivers(
    world: MarketWorld,
) -> None:
    buyer_id, buyer = await world.buyer()
    before = await balance(world, buyer_id)
    order = await place(buyer, GROK_IMAGE)
    assert order["status"] in ("paid", "in_progress") and order["price"] == "$0.50"
    assert await balance(world, buyer_id) == before - 500_000  # held
    r = await world.owner.post(f"/api/atelier/orders/{order['id']}/execute")  # the admin
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "delivered", done
    assert done["run_id"] and done["deliverable_post_id"] == done["post"]["id"]
    post = done["post"]
    assert post["agent_id"] == "agent_atelier_grok" and post["caption"] == "a lighthouse at dusk"
    # The post's media and the buyer's own copy are the same decodable image.
    media = await buyer.get(post["media"][0]["url"])
    assert media.status_code == 200
    assert min(Image.open(io.BytesIO(media.content)).size) > 0
    (deliverable,) = done["deliverables"]
    copy = await buyer.get(deliverable["url"])
    assert copy.status_code == 200 and copy.content == media.content
    # The run was ReelForge's own, as the official agent, with the brief as its prompt.
    async with world.container.db.session() as s:
        run = await s.get(RunRow, done["run_id"])
    assert run is not None and run.owner_id == "usr_atelier_grok"
    assert run.pipeline["nodes"][0]["prompt"] == "a lighthouse at dusk"
    assert run.pipeline["nodes"][0]["model"] == "grok/grok-2-image"
    # Paid once: the hold captured into revenue, the provider cost booked against it.
    assert await balance(world, buyer_id) == before - 500_000
    assert await captures_of(world, order["id"]) == 1
    margins = (await world.owner.get("/v1/market/margins")).json()
    (m,) = margins["orders"]
    assert m["revenue_micros"] == 500_000
    assert m["margin_micros"] == 500_000 - m["provider_cost_micros"]
    assert m["provider_list_micros"] > 0  # what the catalog says the generation costs
    profile = (await buyer.get("/api/atelier/agents/agent_atelier_grok")).json()
    assert [p["id"] for p in profile["recent_posts"]] == [post["id"]]
    mine = (await buyer.get("/api/atelier/orders")).json()["orders"]
    assert [o["id"] for o in mine] == [order["id"]]
    await ledger_ok(world)


async def test_idempotent_order_creation(world: MarketWorld) -> None:
    buyer_id, buyer = await world.buyer()
    before = await balance(world, buyer_id)
    body = {"service_id": GROK_IMAGE, "brief": "a red fox"}
    headers = {"Idempotency-Key": "order-1"}
    first = await buyer.post("/v1/market/orders", json=body, headers=headers)
    again = await buyer.post("/v1/market/orders", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert first.json()["id"] == again.json()["id"]
    other = await buyer.post(
        "/v1/market/orders", json={**body, "brief": "a blue fox"}, headers=headers
    )
    assert other.status_code == 409 and other.json()["error"]["code"] == "CONFLICT"
    # Concurrent replays of one key: still one order and one hold.
    key = {"Idempotency-Key": "order-2"}
    answers = await asyncio.gather(
        *(buyer.post("/v1/market/orders", json=body, headers=key) for _ in range(8))
    )
    assert len({a.json()["id"] for a in answers}) == 1, [a.text for a in answers]
    assert sorted(a.status_code for a in answers).count(201) == 1
    orders = (await buyer.get("/v1/market/orders")).json()["orders"]
    assert len(orders) == 2
    await buyer.get(f"/v1/market/orders/{orders[0]['id']}", params={"wait": 30})
    await buyer.get(f"/v1/market/orders/{orders[1]['id']}", params={"wait": 30})
    assert await balance(world, buyer_id) == before - 2 * 500_000
    await ledger_ok(world)


async def test_short_of_credits_nothing_is_written(world: MarketWorld) -> None:
    buyer_id, buyer = await world.buyer(credits_micros=0)  # the free plan's $1.00 only
    before = await balance(world, buyer_id)
    assert before == 1_000_000
    r = await buyer.post(
        "/api/atelier/orders",
        json={"service_id": "svc_atelier_grok_grok_imagine_video", "brief": "x"},
    )
    assert r.status_code == 402, r.text
    assert r.json()["code"] == "INSUFFICIENT_FUNDS" and r.json()["remediation"]
    assert (await buyer.get("/api/atelier/orders")).json()["orders"] == []
    assert await balance(world, buyer_id) == before
    # Bad input is refused before money moves too.
    r = await buyer.post(
        "/v1/market/orders",
        json={"service_id": "svc_atelier_kling_i2v", "brief": "pan left"},
    )
    assert r.status_code == 422 and "image" in r.json()["error"]["message"]
    await ledger_ok(world)


async def test_fifty_executes_at_once_make_one_submission_and_one_capture(
    world: MarketWorld,
) -> None:
    buyer_id, buyer = await world.buyer()
    before = await balance(world, buyer_id)
    submitted = await submissions(world, "grok")
    order = await place(buyer, GROK_IMAGE)
    calls = [
        (world.owner if i % 5 == 0 else buyer).post(f"/v1/market/orders/{order['id']}/execute")
        for i in range(50)
    ]
    answers = await asyncio.gather(*calls)
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers][:3]
    done = (await buyer.get(f"/v1/market/orders/{order['id']}", params={"wait": 60})).json()
    assert done["status"] == "delivered", done
    # And a few more after delivery change nothing.
    again = await asyncio.gather(
        *(buyer.post(f"/api/atelier/orders/{order['id']}/execute") for _ in range(5))
    )
    assert {a.json()["deliverable_post_id"] for a in again} == {done["deliverable_post_id"]}
    assert await submissions(world, "grok") - submitted == 1
    async with world.container.db.session() as s:
        runs = (
            await s.execute(
                select(func.count())
                .select_from(RunRow)
                .where(RunRow.owner_id == "usr_atelier_grok")
            )
        ).scalar_one()
    assert runs == 1
    assert await captures_of(world, order["id"]) == 1
    assert await balance(world, buyer_id) == before - 500_000
    await ledger_ok(world)


async def test_a_failed_generation_refunds_the_buyer(world: MarketWorld) -> None:
    buyer_id, buyer = await world.buyer()
    before = await balance(world, buyer_id)
    kling = world.container.hub.sandbox_endpoints["kling"].client
    r = await kling.post(
        "/__emulator/faults", json={"kind": "moderation", "on": "submit", "times": -1}
    )
    assert r.status_code == 201
    try:
        order = await place(buyer, KLING_T2V)
        r = await buyer.post(f"/api/atelier/orders/{order['id']}/execute")
        assert r.status_code == 200, r.text
        failed = r.json()
    finally:
        await kling.delete("/__emulator/faults")
    assert failed["status"] == "failed", failed
    assert failed["error"]["code"] == "SAFETY_FILTER" and failed["error"]["remediation"]
    assert failed["refunded_micros"] == 1_000_000 and failed["captured_micros"] == 0
    assert failed["deliverable_post_id"] is None
    assert await balance(world, buyer_id) == before
    assert await captures_of(world, order["id"]) == 0
    again = await buyer.post(f"/v1/market/orders/{order['id']}/execute")
    assert again.status_code == 409
    await ledger_ok(world)


async def test_nobody_sees_or_executes_another_buyers_order(world: MarketWorld) -> None:
    _, alice = await world.buyer("alice")
    _, bob = await world.buyer("bob")
    order = await place(alice, GROK_IMAGE)
    for method, path in [
        ("GET", f"/api/atelier/orders/{order['id']}"),
        ("POST", f"/api/atelier/orders/{order['id']}/execute"),
        ("POST", f"/api/atelier/orders/{order['id']}/cancel"),
        ("GET", f"/v1/market/orders/{order['id']}"),
        ("POST", f"/v1/market/orders/{order['id']}/execute"),
    ]:
        r = await bob.request(method, path)
        assert r.status_code == 404, (path, r.text)
    assert (await bob.get("/api/atelier/orders")).json()["orders"] == []
    r = await bob.get("/v1/market/margins")
    assert r.status_code == 403
    done = (await alice.get(f"/v1/market/orders/{order['id']}", params={"wait": 60})).json()
    assert done["status"] == "delivered"
    r = await bob.get(done["deliverables"][0]["url"])
    assert r.status_code == 404  # the buyer's copy is the buyer's
    assert (await world.owner.get(f"/v1/market/orders/{order['id']}")).status_code == 200


async def test_own_agent_sells_delivers_by_posting_and_cancel_releases(
    world: MarketWorld,
) -> None:
    _seller_id, seller = await world.buyer("seller", credits_micros=0)
    buyer_id, buyer = await world.buyer("buyer")
    before = await balance(world, buyer_id)
    agent = (await seller.post("/v1/market/agents", json={"name": "Sketchy"})).json()
    service = await seller.post(
        f"/v1/market/agents/{agent['id']}/services",
        json={"title": "A sketch", "category": "image_gen", "price_micros": 250_000},
    )
    assert service.status_code == 201, service.text
    sid = service.json()["id"]
    # Someone else may not change the price.
    r = await buyer.patch(f"/v1/market/services/{sid}", json={"price_micros": 1})
    assert r.status_code == 403
    first = await place(buyer, sid)
    assert first["status"] == "paid"  # not official: waits for its seller
    r = await buyer.post(f"/v1/market/orders/{first['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "canceled", r.text
    assert r.json()["refunded_micros"] == 250_000
    assert await balance(world, buyer_id) == before
    second = await place(buyer, sid)
    up = await seller.post(
        "/v1/uploads", files={"file": ("s.png", png_bytes(48, 32, (10, 200, 10)), "image/png")}
    )
    assert up.status_code == 201, up.text
    r = await buyer.post(
        f"/v1/market/orders/{second['id']}/deliver", json={"artifact_ids": [up.json()["id"]]}
    )
    assert r.status_code == 404  # only the seller delivers
    r = await seller.post(
        f"/v1/market/orders/{second['id']}/deliver",
        json={"artifact_ids": [up.json()["id"]], "caption": "here you go"},
    )
    assert r.status_code == 200 and r.json()["status"] == "delivered", r.text
    copy = await buyer.get(r.json()["deliverables"][0]["url"])
    assert Image.open(io.BytesIO(copy.content)).size == (48, 32)
    assert await balance(world, buyer_id) == before - 250_000
    await ledger_ok(world)


async def test_a_waiter_is_woken_by_the_end_not_by_polling(
    world: MarketWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reelforge.api.routes.market import market_of
    from reelforge.apps.market import notices

    monkeypatch.setattr(notices, "RECHECK", 60.0)  # no rereads for other processes' ends

    market = market_of(world.container)
    buyer_id, buyer = await world.buyer()
    reads = 0
    get = market.orders.get

    async def counted(order_id: str, scope: str | None) -> Any:
        nonlocal reads
        reads += 1
        return await get(order_id, scope)

    market.orders.get = counted  # type: ignore[method-assign]
    order = await place(buyer, GROK_IMAGE)
    done = await market.wait(order["id"], buyer_id, 60)
    assert done["status"] == "delivered"
    # Read once before it ended and once when told it had (a poll reads many times over
    # a generation).
    assert reads <= 2, reads
