"""Seed 000's verification list, automated (the schema, the seeded roster, the listing
filter and the Grok agent's profile), plus the two error shapes of the two path sets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, inspect, select

from reelforge.apps.market.roster import seed_roster
from reelforge.storage.market_tables import MarketAgentRow, MarketServiceRow
from tests.integration.market_world import MarketWorld, market_world

# The seed's tables, as written there (not read from our data file).
SEED_AGENTS = {
    "agent_atelier_grok": ("Atelier Grok", "Image & video generation powered by xAI Grok"),
    "agent_atelier_kling": (
        "Atelier Kling",
        "Videos, images & talking avatars powered by Kling AI",
    ),
    "agent_atelier_runway": ("Atelier Runway", "Fast video generation powered by Runway Gen-4"),
    "agent_atelier_luma": ("Atelier Luma", "Dream Machine video generation by Luma AI"),
    "agent_atelier_higgsfield": (
        "Atelier Higgsfield",
        "Cinematic videos & portraits powered by Higgsfield",
    ),
    "agent_atelier_minimax": ("Atelier MiniMax", "1080p video generation powered by Hailuo AI"),
}
SEED_SERVICES = [
    ("grok", "Image Gen", "image_gen", 500_000, "grok-2-image"),
    ("grok", "Video Gen", "video_gen", 2_000_000, "grok-imagine-video"),
    ("kling", "T2V 5s", "video_gen", 1_000_000, "t2v_5s"),
    ("kling", "T2V 10s", "video_gen", 2_000_000, "t2v_10s"),
    ("kling", "I2V", "video_gen", 1_500_000, "i2v"),
    ("kling", "Image Gen", "image_gen", 300_000, "image"),
    ("kling", "Talking Avatar", "video_gen", 2_000_000, "talking_avatar"),
    ("runway", "Quick Video Turbo 5s", "video_gen", 500_000, "turbo_5s"),
    ("runway", "Pro Video Gen-4 5s", "video_gen", 1_000_000, "pro_gen4_5s"),
    ("runway", "T2V Gen-4.5", "video_gen", 1_000_000, "t2v_gen45"),
    ("luma", "Dream Machine 5s", "video_gen", 2_500_000, "dream_5s"),
    ("luma", "I2V", "video_gen", 2_500_000, "i2v"),
    ("luma", "Video Remix", "video_gen", 3_000_000, "remix"),
    ("higgsfield", "DoP Turbo", "video_gen", 1_500_000, "dop_turbo"),
    ("higgsfield", "DoP Quality", "video_gen", 2_500_000, "dop_quality"),
    ("higgsfield", "Talking Avatar", "video_gen", 2_000_000, "talking_avatar"),
    ("higgsfield", "Soul Portrait", "image_gen", 500_000, "soul_portrait"),
    ("minimax", "Hailuo Video 6s", "video_gen", 1_000_000, "hailuo_6s"),
    ("minimax", "Hailuo Pro Video", "video_gen", 2_000_000, "hailuo_pro"),
]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[MarketWorld]:
    async with market_world(tmp_path / "home") as w:
        yield w


async def test_schema_has_the_seed_columns(world: MarketWorld) -> None:
    async with world.container.db.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda c: {
                t: {col["name"] for col in inspect(c).get_columns(t)}
                for t in ("market_agents", "market_services", "market_orders")
            }
        )
    assert {"is_atelier_official", "source", "verified", "blue_check", "owner_id"} <= columns[
        "market_agents"
    ]
    assert {"provider_key", "provider_model", "category", "price_micros", "active"} <= columns[
        "market_services"
    ]
    assert {"run_id", "deliverable_post_id", "status", "brief", "inputs"} <= columns[
        "market_orders"
    ]


async def test_seeded_roster_is_the_seeds_and_seeding_again_changes_nothing(
    world: MarketWorld,
) -> None:
    db = world.container.db
    r = await world.owner.get("/api/atelier/agents")  # the first request seeds
    assert r.status_code == 200, r.text
    async with db.session() as s:
        agents = {a.id: a for a in (await s.execute(select(MarketAgentRow))).scalars()}
        services = list((await s.execute(select(MarketServiceRow))).scalars())
    assert set(agents) == set(SEED_AGENTS)
    for agent_id, (name, description) in SEED_AGENTS.items():
        a = agents[agent_id]
        assert (a.name, a.description) == (name, description)
        assert (a.is_atelier_official, a.verified, a.blue_check, a.source) == (
            1,
            True,
            True,
            "official",
        )
    got = sorted(
        (
            s.provider_key,
            s.title,
            s.category,
            s.price_micros,
            s.provider_model,
            agents[s.agent_id].name.split()[-1].lower(),
        )
        for s in services
    )
    assert got == sorted((*row, row[0]) for row in SEED_SERVICES)
    # Every service names a model the catalog serves.
    for service in services:
        await world.container.catalog.get(f"{service.provider_key}/{service.provider_model}")

    # An admin edits a price; seeding again adds nothing and keeps the edit.
    grok_image = "svc_atelier_grok_grok_2_image"
    r = await world.owner.patch(f"/v1/market/services/{grok_image}", json={"price_micros": 650_000})
    assert r.status_code == 200 and r.json()["price"] == "$0.65", r.text
    assert await seed_roster(db) == 0
    async with db.session() as s:
        price = (
            await s.execute(
                select(MarketServiceRow.price_micros).where(MarketServiceRow.id == grok_image)
            )
        ).scalar_one()
        count = (await s.execute(select(func.count()).select_from(MarketServiceRow))).scalar_one()
    assert (price, count) == (650_000, 19)


async def test_official_filter_returns_exactly_the_six_with_badges(world: MarketWorld) -> None:
    _, buyer = await world.buyer()
    # Another source's agent, which the official filter must leave out.
    r = await buyer.post("/v1/market/agents", json={"name": "My Sketcher"})
    assert r.status_code == 201, r.text
    assert r.json()["is_atelier_official"] == 0 and r.json()["badges"] == []
    r = await buyer.get("/api/atelier/agents", params={"source": "official"})
    assert r.status_code == 200, r.text
    agents = r.json()["agents"]
    assert sorted(a["id"] for a in agents) == sorted(SEED_AGENTS)
    for a in agents:
        assert a["is_atelier_official"] == 1 and a["source_label"] == "Atelier Official"
        assert [b["kind"] for b in a["badges"]] == ["official", "blue_check", "verified"]
        assert a["badges"][0]["color"] == "amber" and a["badges"][1]["color"] == "blue"
        assert a["services_count"] >= 2 and a["price_from"].startswith("$")
    everyone = (await buyer.get("/api/atelier/agents")).json()["agents"]
    assert len(everyone) == 7 and everyone[-1]["source"] == "agentgram"
    mine = (await buyer.get("/v1/market/agents", params={"source": "agentgram"})).json()
    assert [a["name"] for a in mine["agents"]] == ["My Sketcher"]
    videos = (await buyer.get("/api/atelier/agents", params={"category": "image_gen"})).json()
    assert sorted(a["id"] for a in videos["agents"]) == [
        "agent_atelier_grok",
        "agent_atelier_higgsfield",
        "agent_atelier_kling",
    ]
    found = (await buyer.get("/api/atelier/agents", params={"q": "hailuo"})).json()["agents"]
    assert [a["id"] for a in found] == ["agent_atelier_minimax"]


async def test_grok_profile_has_its_services(world: MarketWorld) -> None:
    r = await world.owner.get("/api/atelier/agents/agent_atelier_grok")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agent"]["is_atelier_official"] == 1
    assert body["agent"]["badges"][0]["label"] == "Official"
    assert [(s["title"], s["price"], s["provider_model"]) for s in body["services"]] == [
        ("Image Gen", "$0.50", "grok-2-image"),
        ("Video Gen", "$2.00", "grok-imagine-video"),
    ]
    assert body["recent_posts"] == []


async def test_errors_take_the_shape_of_their_path(world: MarketWorld) -> None:
    seed = await world.owner.get("/api/atelier/agents", params={"source": "robots"})
    assert seed.status_code == 422
    assert seed.json()["code"] == "VALIDATION_ERROR" and isinstance(seed.json()["error"], str)
    ours = await world.owner.get("/v1/market/agents", params={"source": "robots"})
    assert ours.status_code == 422 and ours.json()["error"]["code"] == "VALIDATION_ERROR"
    assert ours.json()["error"]["remediation"]
    missing = await world.owner.get("/api/atelier/agents/agent_nobody")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    bad = await world.owner.post("/api/atelier/orders", json={"brief": "x", "colour": "red"})
    assert bad.status_code in (400, 422) and "error" in bad.json()


async def test_openapi_documents_both_path_sets(world: MarketWorld) -> None:
    spec = (await world.owner.get("/openapi.json")).json()
    for prefix in ("/api/atelier", "/v1/market"):
        assert f"{prefix}/orders/{{order_id}}/execute" in spec["paths"]
        listing = spec["paths"][f"{prefix}/agents"]["get"]
        assert "AgentsPage" in json.dumps(listing["responses"]["200"])
    assert "AgentListItem" in spec["components"]["schemas"]
    assert "is_atelier_official" in spec["components"]["schemas"]["AgentListItem"]["properties"]


def test_roster_data_is_the_seeds() -> None:
    data = json.loads(resources.files("reelforge.apps.market").joinpath("roster.json").read_text())
    assert len(data["agents"]) == 6 and sum(len(a["services"]) for a in data["agents"]) == 19


async def test_listing_needs_a_key(world: MarketWorld) -> None:
    transport = httpx.ASGITransport(app=world.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as anon:
        r = await anon.get("/api/atelier/agents")
    assert r.status_code == 401


async def test_service_page_quotes_before_ordering(world: MarketWorld) -> None:
    _, buyer = await world.buyer(credits_micros=1_000_000)
    r = await buyer.get("/v1/market/services/svc_atelier_luma_remix")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agent"]["name"] == "Atelier Luma" and body["service"]["price"] == "$3.00"
    first = body["inputs"][0]
    assert (first["kind"], first["required"]) == ("video", True)
    quote = body["quote"]
    # 1.00 topped up plus the free plan's 1.00: short of 3.00.
    assert quote["price_micros"] == 3_000_000 and quote["enough"] is False
    assert quote["available_micros"] == 2_000_000
    cheap = (await buyer.get("/api/atelier/services/svc_atelier_kling_image")).json()
    assert cheap["quote"]["enough"] is True and cheap["inputs"] == []
    missing = await buyer.get("/v1/market/services/svc_nothing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


async def test_pages_run_official_first_then_by_name_across_the_boundary(
    world: MarketWorld,
) -> None:
    _, seller = await world.buyer("seller", credits_micros=0)
    for name in ("Zed Sketches", "Able Frames", "Mid Motion"):
        assert (await seller.post("/v1/market/agents", json={"name": name})).status_code == 201
    whole = (await seller.get("/v1/market/agents", params={"limit": 200})).json()["agents"]
    names = [a["name"] for a in whole]
    assert names[:6] == sorted(names[:6]) and all(a["is_atelier_official"] for a in whole[:6])
    assert names[6:] == ["Able Frames", "Mid Motion", "Zed Sketches"]
    paged, offset = [], 0
    while offset is not None:
        page = (await seller.get("/v1/market/agents", params={"limit": 4, "offset": offset})).json()
        assert page["count"] <= 4
        paged += [a["name"] for a in page["agents"]]
        offset = page["next_offset"]
    assert paged == names
    mine = await seller.get("/v1/market/agents", params={"source": "agentgram", "offset": 1})
    assert [a["name"] for a in mine.json()["agents"]] == ["Mid Motion", "Zed Sketches"]
