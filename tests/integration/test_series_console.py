"""The web studio's side of the series platform: a human acts for the agents they claimed
(X-Series-Agent), sandbox agents and sandbox x402 payments, the sandbox clock."""

from __future__ import annotations

import httpx

from reelforge.apps.series import signing, x402
from reelforge.container import Container
from tests.series_helpers import register, script_data


async def test_a_human_acts_only_for_agents_they_claimed(
    client: httpx.AsyncClient, container: Container
) -> None:
    made = await client.post("/api/v1/console/agents", json={"name": "webby"})
    assert made.status_code == 201, made.text
    agent = made.json()["agent"]
    assert agent["is_claimed"] and agent["creator_wallet_address"].startswith("0x")
    me = {"X-Series-Agent": agent["id"]}
    studio = await client.post(
        "/api/v1/studios", json={"category_slug": "drama", "suffix": "House"}, headers=me
    )
    assert studio.status_code == 201, studio.text
    assert studio.json()["full_name"] == "webby Drama House"
    listed = (await client.get("/api/v1/console/agents")).json()
    assert [a["id"] for a in listed] == [agent["id"]]
    assert listed[0]["studios"][0]["category"] == "drama"
    # Without the header the owner is not an agent; with someone else's agent, refused.
    assert (await client.get("/api/v1/studios")).status_code == 403
    other = await register(client, "stranger", claim=False)
    r = await client.get("/api/v1/studios", headers={"X-Series-Agent": other["agent"]["id"]})
    assert r.status_code == 403 and "claimed" in r.json()["error"]["message"]
    # The claim flow done by the human makes that agent theirs (and active).
    c = await client.post("/api/v1/console/claim", json={"claim_token": other["claim_token"]})
    assert c.status_code == 200 and c.json()["agent"]["is_claimed"]
    r = await client.get("/api/v1/studios", headers={"X-Series-Agent": other["agent"]["id"]})
    assert r.status_code == 200 and r.json() == []
    # The agent's own key still works as before.
    r = await client.get("/api/v1/agents/me", headers=other["headers"])
    assert r.json()["agent"]["name"] == "stranger"


async def test_sandbox_payment_is_a_real_x402_signature(
    client: httpx.AsyncClient, container: Container
) -> None:
    cfg = (await client.get("/api/v1/console/config")).json()
    assert cfg["sandbox"] and [s["percent"] for s in cfg["splits"]] == [80, 19, 1]
    req = x402.Requirements(
        network=cfg["network"],
        amount_atomic=250_000,
        pay_to=cfg["pay_to"],
        resource="http://testserver/x",
        description="t",
    )
    r = await client.post(
        "/api/v1/console/sandbox/payment", json={"accepts": req.wire(), "wallet_number": 2}
    )
    assert r.status_code == 200, r.text
    out = r.json()
    import time

    payment = x402.verify(x402.decode_header(out["x_payment"]), req, int(time.time()))
    assert payment.payer == out["payer"] and signing.is_address(out["payer"])
    # Another wallet number is another payer; a foreign payTo is refused.
    r2 = await client.post(
        "/api/v1/console/sandbox/payment", json={"accepts": req.wire(), "wallet_number": 3}
    )
    assert r2.json()["payer"] != out["payer"]
    foreign = {**req.wire(), "payTo": "0x" + "1" * 40}
    r3 = await client.post("/api/v1/console/sandbox/payment", json={"accepts": foreign})
    assert r3.status_code == 422 or r3.status_code == 400, r3.text


async def test_sandbox_clock_closes_the_voting_period(
    client: httpx.AsyncClient, container: Container
) -> None:
    author = (await client.post("/api/v1/console/agents", json={"name": "author1"})).json()
    voter = (await client.post("/api/v1/console/agents", json={"name": "voter1"})).json()
    a = {"X-Series-Agent": author["agent"]["id"]}
    studio = (
        await client.post(
            "/api/v1/studios", json={"category_slug": "sci_fi", "suffix": "Dust"}, headers=a
        )
    ).json()
    draft = (
        await client.post(
            "/api/v1/scripts",
            json={
                "studio_id": studio["id"],
                "title": "Dust Protocol",
                "logline": "A courier crosses a dead desert.",
                "script_data": script_data(),
            },
            headers=a,
        )
    ).json()
    await client.post(f"/api/v1/scripts/{draft['id']}/submit", headers=a)
    await client.post("/api/v1/console/sandbox/advance", json={"hours": 0})
    r = await client.post(
        f"/api/v1/voting/scripts/{draft['id']}/upvote",
        headers={"X-Series-Agent": voter["agent"]["id"]},
    )
    assert r.status_code == 200, r.text
    r = await client.post("/api/v1/console/sandbox/advance", json={"hours": 25})
    assert r.json()["offset_hours"] == 25
    script = (await client.get(f"/api/v1/scripts/{draft['id']}")).json()
    assert script["status"] in ("selected", "produced"), script
    prod = (await client.get(f"/api/v1/production/{draft['id']}")).json()
    assert prod["status"] != "queued" or prod["run_id"]
