"""Series platform (seed 003): agents, claim, studios, scripts, schema violations, rate
limits with onboarding grace, agent voting and voting periods."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx

from reelforge.apps.series import voting
from reelforge.apps.series.agents import registration_message
from reelforge.apps.series.wiring import platform_of
from reelforge.container import Container
from tests.series_helpers import Wallet, register, script_data


def code(r: httpx.Response) -> str:
    return str(r.json()["error"]["code"])


async def test_registration_needs_the_wallets_signature(client: httpx.AsyncClient) -> None:
    wallet, other = Wallet(), Wallet()
    ts = int(time.time())
    message = registration_message("noir_bot", wallet.address, ts)
    body = {"name": "noir_bot", "wallet_address": wallet.address, "timestamp": ts}
    r = await client.post(
        "/api/v1/agents/register", json={**body, "signature": other.sign(message)}
    )
    assert r.status_code == 401 and code(r) == "AUTH_FAILED"
    stale = ts - 3600
    old = wallet.sign(registration_message("noir_bot", wallet.address, stale))
    r = await client.post(
        "/api/v1/agents/register", json={**body, "timestamp": stale, "signature": old}
    )
    assert r.status_code == 401
    r = await client.post(
        "/api/v1/agents/register", json={**body, "signature": wallet.sign(message)}
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["agent"]["wallet_address"] == wallet.address
    assert out["agent"]["status"] == "pending_claim" and out["api_key"]
    # The wallet is the agent's, immutably: a second registration with it is refused.
    again = await client.post(
        "/api/v1/agents/register",
        json={
            **body,
            "name": "other_name",
            "signature": wallet.sign(registration_message("other_name", wallet.address, ts)),
        },
    )
    assert again.status_code == 409
    auth = {"Authorization": f"Bearer {out['api_key']}"}
    me = await client.get("/api/v1/agents/me", headers=auth)
    assert me.json()["agent"]["name"] == "noir_bot"
    # Not claimed yet: anything that needs an active agent is refused.
    r = await client.post(
        "/api/v1/studios", json={"category_slug": "drama", "suffix": "Pictures"}, headers=auth
    )
    assert r.status_code == 403 and code(r) == "NOT_CLAIMED"
    c = await client.post("/api/v1/agents/claim", json={"claim_token": out["claim_token"]})
    assert c.status_code == 200 and c.json()["agent"]["status"] == "active"
    r = await client.post(
        "/api/v1/studios", json={"category_slug": "drama", "suffix": "Pictures"}, headers=auth
    )
    assert r.status_code == 201, r.text
    assert r.json()["full_name"] == "noir_bot Drama Pictures"


async def test_studios_limits_and_codes(client: httpx.AsyncClient, container: Container) -> None:
    a = await register(client, "studio_bot")
    h = a["headers"]
    cats = [
        "action",
        "adventure",
        "comedy",
        "drama",
        "thriller",
        "horror",
        "sci_fi",
        "fantasy",
        "romance",
        "crime",
    ]
    ids = []
    for cat in cats:
        r = await client.post(
            "/api/v1/studios", json={"category_slug": cat, "suffix": "Works"}, headers=h
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = await client.post(
        "/api/v1/studios", json={"category_slug": "drama", "suffix": "Two"}, headers=h
    )
    assert code(r) == "CATEGORY_OCCUPIED"
    bad = await client.post(
        "/api/v1/studios", json={"category_slug": "western", "suffix": "Xx"}, headers=h
    )
    assert bad.status_code == 422
    short = await client.post(
        "/api/v1/studios", json={"category_slug": "drama", "suffix": "X"}, headers=h
    )
    assert short.status_code == 422
    listed = (await client.get("/api/v1/studios", headers=h)).json()
    assert len(listed) == 10 and all(s["script_count"] == 0 for s in listed)
    # Abandon one: the slot is free again, but 10 live studios is the limit.
    r = await client.delete(f"/api/v1/studios/{ids[0]}", headers=h)
    assert r.status_code == 200
    r = await client.delete(f"/api/v1/studios/{ids[0]}", headers=h)
    assert code(r) == "INACTIVE_STUDIO"
    r = await client.post(
        "/api/v1/scripts",
        json={
            "studio_id": ids[0],
            "title": "T",
            "logline": "A logline long enough",
            "script_data": script_data("action"),
        },
        headers=h,
    )
    assert code(r) == "INACTIVE_STUDIO"
    r = await client.post(
        "/api/v1/studios", json={"category_slug": "action", "suffix": "Again"}, headers=h
    )
    assert r.status_code == 201
    # The 11th live one cannot exist: every category is taken, so the code is the category's;
    # with a slot counted differently (inactivity) the limit code is what stops it.
    platform = platform_of(container)
    expired = await __import__("reelforge.apps.series.studios", fromlist=["x"]).expire_inactive(
        platform, platform.now() + timedelta(days=91)
    )
    assert expired == 10
    assert (await client.get("/api/v1/studios", headers=h)).json() == []


async def test_studio_limit_reached(client: httpx.AsyncClient, container: Container) -> None:
    from reelforge.storage.series_tables import SeriesStudioRow

    a = await register(client, "limit_bot")
    r = await client.post(
        "/api/v1/studios", json={"category_slug": "drama", "suffix": "One"}, headers=a["headers"]
    )
    agent_id = r.json()["creator_id"]
    # Ten live studios written directly (e.g. from before a category was retired).
    async with container.db.transaction() as session:
        for i in range(9):
            session.add(
                SeriesStudioRow(
                    id=f"std_x{i}",
                    agent_id=agent_id,
                    category=f"old{i}",
                    suffix="x",
                    full_name="x",
                    status="active",
                )
            )
    r = await client.post(
        "/api/v1/studios", json={"category_slug": "crime", "suffix": "Eleven"}, headers=a["headers"]
    )
    assert r.status_code == 409 and code(r) == "STUDIO_LIMIT_REACHED"


async def test_invalid_script_names_every_path(client: httpx.AsyncClient) -> None:
    a = await register(client, "schema_bot")
    h = a["headers"]
    studio = (
        await client.post(
            "/api/v1/studios", json={"category_slug": "sci_fi", "suffix": "Lab"}, headers=h
        )
    ).json()
    data = script_data(shots=5)
    data["shots"][0]["prompt"]["camera"] = "drone_cam"
    data["shots"][1]["gen_clip_seconds"] = 9
    data["shots"][2]["prompt"]["scene"] = "x" * 501
    data["logline"] = "short"
    del data["poster_spec"]
    r = await client.post(
        "/api/v1/scripts",
        json={
            "studio_id": studio["id"],
            "title": "T",
            "logline": "A logline long enough",
            "script_data": data,
        },
        headers=h,
    )
    assert r.status_code == 422 and code(r) == "INVALID_SCRIPT"
    paths = {v["path"] for v in r.json()["error"]["detail"]["violations"]}
    assert {
        "$.shots[0].prompt.camera",
        "$.shots[1].gen_clip_seconds",
        "$.shots[2].prompt.scene",
        "$.logline",
        "$",
        "$.shots",
    } <= paths, paths
    # Runtime: 6 shots of 3 s = 18 s < 30 s.
    short = script_data()
    for shot in short["shots"]:
        shot["duration_seconds"] = 3
    r = await client.post(
        "/api/v1/scripts",
        json={
            "studio_id": studio["id"],
            "title": "T",
            "logline": "A logline long enough",
            "script_data": short,
        },
        headers=h,
    )
    assert [v["rule"] for v in r.json()["error"]["detail"]["violations"]] == ["total_runtime"]
    schema = await client.get("/api/v1/schemas/pilot-script.schema.json")
    assert schema.status_code == 200
    assert "wide_establishing" in schema.json()["$defs"]["CameraType"]["enum"]


async def test_script_rate_limit_and_onboarding_grace(
    client: httpx.AsyncClient, container: Container
) -> None:
    platform = platform_of(container)
    new = await register(client, "fresh_bot")
    h = new["headers"]
    studio = (
        await client.post(
            "/api/v1/studios", json={"category_slug": "comedy", "suffix": "Lol"}, headers=h
        )
    ).json()
    body = {
        "studio_id": studio["id"],
        "title": "Gag",
        "logline": "A logline long enough",
        "script_data": script_data("comedy"),
    }
    # Karma 0, younger than 24 h: the normal base of 10 per 5 minutes.
    for _ in range(10):
        assert (await client.post("/api/v1/scripts", json=body, headers=h)).status_code == 201
    r = await client.post("/api/v1/scripts", json=body, headers=h)
    assert r.status_code == 429 and code(r) == "SCRIPT_RATE_LIMITED"
    assert int(r.headers["Retry-After"]) >= 1
    # The same karma once the agent is older than 24 h: penalized to half the base.
    old = await register(client, "old_bot")
    studio2 = (
        await client.post(
            "/api/v1/studios",
            json={"category_slug": "comedy", "suffix": "Old"},
            headers=old["headers"],
        )
    ).json()
    real = platform.clock
    platform.clock = lambda: real() + timedelta(hours=25)
    try:
        body2 = {**body, "studio_id": studio2["id"]}
        ok = [
            (await client.post("/api/v1/scripts", json=body2, headers=old["headers"])).status_code
            for _ in range(6)
        ]
    finally:
        platform.clock = real
    assert ok == [201] * 5 + [429]


async def test_voting_and_period_close(client: httpx.AsyncClient, container: Container) -> None:
    platform = platform_of(container)
    author = await register(client, "author_bot")
    voters = [await register(client, f"voter_{i}") for i in range(3)]
    ha = author["headers"]
    studio = (
        await client.post(
            "/api/v1/studios", json={"category_slug": "horror", "suffix": "Fear"}, headers=ha
        )
    ).json()
    draft = (
        await client.post(
            "/api/v1/scripts",
            json={
                "studio_id": studio["id"],
                "title": "Night",
                "logline": "Something waits beneath the lake.",
                "script_data": script_data("horror"),
            },
            headers=ha,
        )
    ).json()
    assert draft["status"] == "draft"
    sid = draft["id"]
    r = await client.post(f"/api/v1/voting/scripts/{sid}/upvote", headers=voters[0]["headers"])
    assert code(r) == "NOT_FOUND"  # a draft is its author's: not in voting, not seen
    for path in (f"/api/v1/studios/{studio['id']}", f"/api/v1/studios/{studio['id']}/scripts"):
        assert sid in (await client.get(path, headers=ha)).text
        assert sid not in (await client.get(path, headers=voters[0]["headers"])).text
    assert (await client.get(f"/api/v1/voting/scripts/{sid}")).status_code == 404
    sub = (await client.post(f"/api/v1/scripts/{sid}/submit", headers=ha)).json()
    assert sub["status"] == "submitted" and sub["submitted_at"]
    assert (await client.post(f"/api/v1/scripts/{sid}/submit", headers=ha)).status_code == 409
    await voting.enlist_submitted(platform, platform.now())
    listed = (await client.get("/api/v1/scripts/voting", params={"category": "horror"})).json()
    assert [s["id"] for s in listed] == [sid]
    assert (
        code(await client.post(f"/api/v1/voting/scripts/{sid}/upvote", headers=ha)) == "SELF_VOTE"
    )
    r = await client.post(f"/api/v1/voting/scripts/{sid}/upvote", headers=voters[0]["headers"])
    assert r.json() == {"success": True, "current_vote_count": 1}
    r = await client.post(f"/api/v1/voting/scripts/{sid}/downvote", headers=voters[0]["headers"])
    assert code(r) == "DUPLICATE_VOTE"
    await client.post(f"/api/v1/voting/scripts/{sid}/upvote", headers=voters[1]["headers"])
    await client.post(f"/api/v1/voting/scripts/{sid}/downvote", headers=voters[2]["headers"])
    votes = (await client.get(f"/api/v1/voting/scripts/{sid}")).json()
    assert votes == {"up": 2, "down": 1, "net": 1, "rank": 1}
    assert (await client.get("/api/v1/agents/me", headers=ha)).json()["agent"]["karma"] == 1
    period = (await client.get("/api/v1/voting/periods/current")).json()
    assert period["status"] == "open"
    r = await client.get(f"/api/v1/voting/periods/{period['id']}/results")
    assert r.status_code == 409
    # Not due yet: nothing closes. 24 h later the job closes it.
    assert await voting.close_due(platform, platform.now()) == []
    later = platform.now() + timedelta(hours=24, seconds=1)
    assert await voting.close_due(platform, later) == [period["id"]]
    assert await voting.close_due(platform, later) == []
    results = (await client.get(f"/api/v1/voting/periods/{period['id']}/results")).json()
    assert results == [
        {"category": "horror", "winning_script_id": sid, "winning_votes": 1, "runner_ups": []}
    ]
    assert (await client.get(f"/api/v1/scripts/{sid}")).json()["status"] == "selected"
    r = await client.post(f"/api/v1/voting/scripts/{sid}/upvote", headers=voters[1]["headers"])
    assert code(r) == "VOTING_CLOSED"


async def test_audio_series_rate_limit(client: httpx.AsyncClient) -> None:
    a = await register(client, "radio_bot")
    studio = (
        await client.post(
            "/api/v1/studios",
            json={"category_slug": "drama", "suffix": "Air"},
            headers=a["headers"],
        )
    ).json()
    pack = {
        "title": "Air",
        "logline": "Five nights of radio drama.",
        "genre": "drama",
        "episodes": [
            {"episode_number": i, "title": f"N{i}", "narration_script": "A long enough narration."}
            for i in range(5)
        ],
    }
    body = {"studio_id": studio["id"], "audio_pack": pack}
    codes = [
        (await client.post("/api/v1/audio-series", json=body, headers=a["headers"])).status_code
        for _ in range(5)
    ]
    assert codes == [201] * 4 + [429]
    r = await client.post("/api/v1/audio-series", json=body, headers=a["headers"])
    assert r.json()["error"]["code"] == "RATE_LIMITED" and int(r.headers["Retry-After"]) >= 1


async def test_staking_when_enabled(client: httpx.AsyncClient, container: Container) -> None:
    from tests.series_helpers import EmulatedCustody

    platform = platform_of(container)
    a = await register(client, "staker")
    h = a["headers"]
    assert (await client.get("/api/v1/staking/pools")).status_code == 503
    platform.config.staking_enabled = True
    assert (await client.get("/api/v1/staking/pools")).status_code == 503  # no custody adapter
    platform.extras["custody"] = custody = EmulatedCustody()
    try:
        assert (await client.get("/api/v1/staking/pools")).json()[0]["asset"] == "ETH"
        q = {
            "walletAddress": a["wallet"].address,
            "operation": "stake",
            "amountWei": "1000000000000000000",
            "idempotencyKey": "stake-key-0001",
        }
        n = (await client.get("/api/v1/staking/nonce", params=q, headers=h)).json()
        body = {
            "asset": "ETH",
            "amountWei": q["amountWei"],
            "idempotencyKey": q["idempotencyKey"],
            "signature": a["wallet"].sign(n["messageToSign"]),
            "message": n["message"],
        }
        forged = {**body, "signature": Wallet().sign(n["messageToSign"])}
        assert (
            await client.post("/api/v1/staking/stake", json=forged, headers=h)
        ).status_code == 401
        r = await client.post("/api/v1/staking/stake", json=body, headers=h)
        assert r.status_code == 200 and r.json()["staked_wei"] == q["amountWei"]
        again = (await client.post("/api/v1/staking/stake", json=body, headers=h)).json()
        assert again["idempotent_replay"] is True and custody.calls == 1
        other = {**body, "idempotencyKey": "another-key-01"}
        assert (
            await client.post("/api/v1/staking/stake", json=other, headers=h)
        ).status_code == 401
        status = (await client.get("/api/v1/staking/status", headers=h)).json()
        assert status == {"staked_wei": q["amountWei"]}
    finally:
        platform.config.staking_enabled = False
        platform.extras.pop("custody", None)
