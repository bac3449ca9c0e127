"""Guests and signed-in users, HD credits (allocation first, then top-ups) and negative
prompts as each provider received them (native at Together, folded at fal)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelforge.apps.assets.modes.registry import default_modes
from reelforge.engine.translate import FOLD_PREFIX
from tests.integration.assets_world import AssetsWorld, _client, open_assets_world


@pytest.fixture
async def aw(tmp_path: Path) -> AsyncIterator[AssetsWorld]:
    plans = tmp_path / "plans.json"
    # Free gives 3 HD credits a month ($0.12 at $0.04 an HD image).
    plans.write_text(
        json.dumps(
            {
                "plans": [
                    {
                        "id": "free",
                        "name": "Free",
                        "monthly_allocation_usd": "0.12",
                        "rate_limit_multiplier": 1.0,
                        "max_workspaces": 3,
                    },
                    {
                        "id": "pro",
                        "name": "Pro",
                        "monthly_allocation_usd": "8.00",
                        "rate_limit_multiplier": 3.0,
                        "max_workspaces": 20,
                    },
                ]
            }
        )
    )
    async for w in open_assets_world(
        tmp_path, plans_file=plans, assets_guest_per_minute=2, rate_limit_user_per_minute=4
    ):
        yield w


async def test_negatives_native_at_together_folded_at_fal(aw: AssetsWorld) -> None:
    bank = default_modes().get("emoji").negative_bank
    r = await aw.member.post(
        "/api/generate",
        json={"mode": "emoji", "prompt": "a happy cat", "seed": 7, "negativePrompt": "teeth"},
    )
    assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
    (standard,) = [t for t in aw.tasks("together") if t.seed == 7]
    assert FOLD_PREFIX not in standard.prompt
    negative = standard.params["negative_prompt"]
    assert bank[0] in negative and negative.endswith("teeth")
    # Pixel HD: fal first (neither HD model takes negatives natively; fal is declared first).
    bank = default_modes().get("pixel").negative_bank
    r = await aw.member.post(
        "/api/generate",
        json={"mode": "pixel", "prompt": "a sad cat", "seed": 9, "quality": "hd"},
    )
    batch = r.json()
    assert r.status_code == 200 and batch["status"] == "succeeded", r.text
    assert batch["jobs"][0]["served_by"] == "fal/flux-dev"
    (hd,) = [t for t in aw.tasks("fal") if t.seed == 9]
    assert "negative_prompt" not in hd.params
    prompt, _, folded = hd.prompt.partition(FOLD_PREFIX)
    assert prompt.startswith(batch["jobs"][0]["prompt"]) and bank[0] in folded


async def test_guests_standard_only_and_limited_by_ip(aw: AssetsWorld) -> None:
    r = await aw.guest.post(
        "/api/generate", json={"mode": "pixel", "prompt": "a gem", "quality": "hd"}
    )
    assert r.status_code == 403 and r.json()["error"]["detail"]["guest"] is True
    r = await aw.guest.post("/api/generate", json={"mode": "pixel", "prompt": "a gem", "seed": 1})
    assert r.status_code == 200 and r.json()["quality"] == "standard", r.text
    r = await aw.guest.post("/api/generate", json={"mode": "pixel", "prompt": "a gem", "seed": 1})
    assert r.status_code == 429, r.text  # the HD refusal counted too: 2 a minute
    assert int(r.headers["retry-after"]) >= 1
    # Another address has its own count; a signed-in user has the plan's (4 × 1).
    async with _client(aw.container, None, ip="198.51.100.9") as other_guest:
        r = await other_guest.post(
            "/api/generate", json={"mode": "pixel", "prompt": "a gem", "seed": 2}
        )
        assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
        assert r.json()["workspace_id"] is None
    codes = [
        (await aw.member.post("/api/generate", json={"mode": "nope", "prompt": "x"})).status_code
        for _ in range(5)
    ]
    assert codes == [422, 422, 422, 422, 429]


async def test_hd_takes_allocation_then_topups(aw: AssetsWorld) -> None:
    m = aw.member
    credits = (await m.get("/v1/assets/credits")).json()
    assert (credits["allocation_credits"], credits["topup_credits"]) == (3, 0)
    r = await m.post(
        "/api/generate",
        json={"mode": "pixel", "prompt": "a dragon", "quality": "hd", "batchCount": 4},
    )
    assert r.status_code == 402 and r.json()["error"]["code"] == "INSUFFICIENT_FUNDS", r.text
    assert r.json()["error"]["detail"] == {"needed_credits": 4, "available_credits": 3}
    checkout = (await m.post("/v1/assets/topups", json={"pack": "hd_25"})).json()
    assert checkout["status"] == "pending"
    # Someone else cannot settle it; settling twice books it once.
    other, _ = await aw.client_for("other")
    async with other:
        r = await other.post(f"/v1/assets/topups/{checkout['id']}/complete")
        assert r.status_code == 404
    for _ in range(2):
        r = await m.post(f"/v1/assets/topups/{checkout['id']}/complete")
        assert r.status_code == 200 and r.json()["status"] == "paid"
    credits = (await m.get("/v1/assets/credits")).json()
    assert (credits["allocation_credits"], credits["topup_credits"]) == (3, 25)
    r = await m.post(
        "/api/generate",
        json={"mode": "pixel", "prompt": "a dragon", "quality": "hd", "batchCount": 4, "seed": 5},
    )
    batch = r.json()
    assert r.status_code == 200 and batch["status"] == "succeeded", r.text
    assert batch["hd_credits"] == 4 and batch["hd_charged_micros"] == 4 * 40_000
    credits = (await m.get("/v1/assets/credits")).json()
    assert (credits["allocation_credits"], credits["topup_credits"]) == (0, 24)
    # Reading the batch again charges nothing more.
    again = (await m.get(f"/v1/assets/batches/{batch['id']}")).json()
    assert again["hd_charged_micros"] == batch["hd_charged_micros"]
    assert (await m.get("/v1/assets/credits")).json()["topup_credits"] == 24
    # Standard stays free.
    r = await m.post("/api/generate", json={"mode": "pixel", "prompt": "a dragon", "seed": 6})
    assert r.status_code == 200
    assert (await m.get("/v1/assets/credits")).json()["topup_credits"] == 24
    # The ledger balances after all of it.
    from reelforge.billing.verify import verify_balances

    async with aw.container.db.session() as session:
        report = await verify_balances(session)
    assert report.ok, report


async def test_guests_share_a_user_but_not_their_batches(aw: AssetsWorld) -> None:
    """Every guest's runs belong to one core user; behind one IP (a NAT) two guests still
    see only their own batches and images (each has its own guest cookie)."""
    async with (
        _client(aw.container, None, ip="192.0.2.50") as a,
        _client(aw.container, None, ip="192.0.2.50") as b,
    ):
        r = await a.post("/api/generate", json={"mode": "emoji", "prompt": "a cat", "seed": 5})
        assert r.status_code == 200, r.text
        batch = r.json()
        image = batch["jobs"][0]["url"]
        assert image.startswith("/v1/assets/jobs/")
        got = await a.get(image)
        assert got.status_code == 200 and got.headers["content-type"].startswith("image/")
        assert (await a.get(f"/v1/assets/batches/{batch['id']}")).status_code == 200
        # The other guest, same address: nothing to see, nothing to fetch.
        assert (await b.get(f"/v1/assets/batches/{batch['id']}")).status_code == 404
        assert (await b.get(image)).status_code == 404
        # Nor through the core's routes (a guest has no key) or a signed-in user's.
        assert (await b.get(batch["jobs"][0]["artifact_url"])).status_code == 401
        assert (await aw.member.get(image)).status_code == 404
        # A guest cookie the server never issued is a new, empty guest.
        b.cookies.set("rf_assets_guest", "x" * 32)
        assert (await b.get(f"/v1/assets/batches/{batch['id']}")).status_code == 404
