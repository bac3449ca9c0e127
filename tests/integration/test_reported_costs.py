"""Costs providers report are billed (issue 28, item 5): on a model whose price is
unknown, the provider's reported cost is captured in the ledger up to the hold/cap, and
quote versus reported is kept per model (``GET /v1/models/price-drift``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.domain.identity import Role
from reelforge.emulators import runware
from reelforge.emulators.base import EmulatorConfig
from reelforge.storage import identity
from tests.conftest import make_settings
from tests.helpers import serve_asgi

UNPRICED = "runware/flux-schnell"  # no catalog price; the emulator reports $0.0013


@pytest.fixture
async def member(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    config = EmulatorConfig(run_seconds=0.1, image_run_seconds=0.05, queue_seconds=0.01)
    with serve_asgi(runware.create_app(config)) as url:
        monkeypatch.setenv("RUNWARE_API_KEY", runware.SANDBOX_CREDENTIAL["api_key"])
        settings = make_settings(
            tmp_path / "home",
            provider_base_urls={"runware": url},
            fetch_allow_hosts=[url.removeprefix("http://")],
        )
        async with open_container(settings, start_runner=True) as container:
            async with container.db.transaction() as session:
                user = await identity.create_user(session, "member", Role.MEMBER)
                _row, key = await identity.create_api_key(session, user.id)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False),
                base_url="http://testserver",
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            ) as client:
                yield client


async def _run(client: httpx.AsyncClient, cap: int) -> dict[str, object]:
    r = await client.post(
        "/v1/generations", json={"model": UNPRICED, "prompt": "a red kite", "max_micros": cap}
    )
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    for _ in range(300):
        run: dict[str, object] = (await client.get(f"/v1/runs/{run_id}")).json()
        if run["status"] in ("succeeded", "failed"):
            return run
        await asyncio.sleep(0.1)
    raise AssertionError(run)


async def _captured(client: httpx.AsyncClient, run_id: object) -> int:
    ledger = (await client.get("/v1/credits/ledger", params={"run_id": run_id})).json()
    return -sum(
        e["amount"]["micros"]
        for e in ledger["entries"]
        if e["kind"] == "capture" and e["account"] == "hold"
    )


async def test_reported_cost_is_captured_up_to_the_cap_and_drift_reported(
    member: httpx.AsyncClient,
) -> None:
    quote = await member.post(
        "/v1/quotes",
        json={"nodes": [{"id": "a", "model": UNPRICED, "prompt": "x", "max_micros": 5000}]},
    )
    assert quote.status_code == 200, quote.text
    assert quote.json()["billing"]["payer"] == "plan_credits"
    roomy = await _run(member, 5_000)
    assert roomy["status"] == "succeeded", roomy
    assert roomy["cost_micros"] == 1_300  # what the provider reported, below the cap
    assert await _captured(member, roomy["id"]) == 1_300
    tight = await _run(member, 1_000)
    assert tight["status"] == "succeeded", tight
    assert tight["cost_micros"] == 1_000  # charged at most the cap
    assert await _captured(member, tight["id"]) == 1_000
    drift = (await member.get("/v1/models/price-drift")).json()["models"]
    assert drift == [
        {
            "model": UNPRICED,
            "observations": 2,
            "price_source": "max_micros_cap",
            "mean_quote_micros": 3_000,
            "mean_reported_micros": 1_300,
            "drift_micros": -1_700,
            "drift_percent": -56.7,
            "charged_micros": 2_300,
            "unbilled_micros": 300,
        }
    ]
