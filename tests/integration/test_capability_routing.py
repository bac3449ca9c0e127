"""Capability nodes on the sandbox emulators: routing picks models from the quality matrix,
the run keeps the ranking, and the providers listing shows health and limits."""

from __future__ import annotations

from typing import Any

import httpx

from reelforge.catalog.quotes import quote_generation
from reelforge.container import Container
from tests.integration.test_runs_api import wait_run


async def test_capability_generation_runs_on_the_best_candidate(
    run_client: httpx.AsyncClient, running: Container
) -> None:
    r = await run_client.post(
        "/v1/generations",
        json={
            "capability": {"mode": "t2i", "needs": ["negative_prompt"], "max_candidates": 2},
            "prompt": "a paper boat on a pond",
            "negative_prompt": "people",
            "params": {"aspect_ratio": "16:9"},
        },
    )
    assert r.status_code == 202, r.text
    run = await wait_run(run_client, r.json()["id"])
    assert run["status"] == "succeeded", run
    step = run["steps"][0]
    routing = step["route"]["routing"]
    chosen = routing["chosen"]
    assert len(chosen) == 2 and step["model"] == chosen[0] == step["served_by"]
    assert step["route"]["options"] == chosen
    # Every chosen model takes negative prompts natively; excluded ones say why.
    for model_id in chosen:
        entry = await running.catalog.get(model_id)
        assert entry.features.negative_prompt
    excluded = [c for c in routing["candidates"] if c["excluded"]]
    assert all("negative_prompt" in c["excluded"] for c in excluded)
    # Quoted at the dearer of the two options.
    prices = [
        quote_generation(await running.catalog.get(c["model"])).micros or 0
        for c in routing["candidates"]
        if c["model"] in chosen
    ]
    assert run["quote_micros"] == max(prices)


async def test_preference_order_wins(run_client: httpx.AsyncClient) -> None:
    r = await run_client.post(
        "/v1/generations",
        json={
            "capability": {"mode": "t2i", "prefer": ["pollinations/flux"]},
            "prompt": "a red kite",
        },
        headers={"Prefer": "wait=60"},
    )
    run: dict[str, Any] = r.json()
    assert run["status"] == "succeeded", run
    assert run["steps"][0]["served_by"] == "pollinations/flux"


async def test_no_candidate_is_a_clear_error(run_client: httpx.AsyncClient) -> None:
    r = await run_client.post(
        "/v1/generations",
        json={"capability": {"mode": "avatar", "quality": "hd"}, "prompt": "x"},
    )
    assert r.status_code == 422
    assert "no model can serve avatar" in r.json()["error"]["message"]
    neither = await run_client.post("/v1/generations", json={"prompt": "x"})
    assert neither.status_code == 422


async def test_providers_listing_shows_health_and_limits(run_client: httpx.AsyncClient) -> None:
    r = await run_client.get("/v1/providers", params={"check": "true"})
    assert r.status_code == 200
    providers = {p["name"]: p for p in r.json()["providers"]}
    fal = providers["fal"]
    assert fal["connection"] == "sandbox"
    assert fal["health"]["status"] in ("unknown", "ok")
    assert set(fal["health"]) >= {"cooldown_until", "last_error", "p50_latency_ms", "error_rate"}
    assert fal["limits"]["source"] and fal["check"]["ok"] is True
