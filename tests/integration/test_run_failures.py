"""Failures and cancels on live providers (emulators on 127.0.0.1): a failed step skips its
descendants and the user pays only what finished; a cancel stops the provider task and
releases the rest of the hold."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.domain.identity import Role
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.fal import SANDBOX_CREDENTIAL as FAL_KEY
from reelforge.emulators.fal import create_app as fal_app
from reelforge.emulators.replicate import SANDBOX_CREDENTIAL as REPLICATE_KEY
from reelforge.emulators.replicate import create_app as replicate_app
from reelforge.storage import identity
from tests.conftest import make_settings
from tests.helpers import serve_asgi


class Live:
    def __init__(self, client: httpx.AsyncClient, fal: Any, replicate: Any) -> None:
        self.client, self.fal, self.replicate = client, fal, replicate

    async def wait(self, run_id: str, *, until: Any = None, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run: dict[str, Any] = (await self.client.get(f"/v1/runs/{run_id}")).json()
            done = until(run) if until else run["status"] in ("succeeded", "failed", "canceled")
            if done or time.monotonic() > deadline:
                return run
            await asyncio.sleep(0.1)

    async def balance(self) -> int:
        return int((await self.client.get("/v1/credits")).json()["balance"]["micros"])


@pytest.fixture
async def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Live]:
    fal = fal_app(EmulatorConfig(queue_seconds=0.1, run_seconds=4.0, image_run_seconds=0.3))
    rep = replicate_app(EmulatorConfig(queue_seconds=0.1, run_seconds=0.5, image_run_seconds=0.3))
    with serve_asgi(fal) as fal_url, serve_asgi(rep) as rep_url:
        monkeypatch.setenv("FAL_KEY", FAL_KEY["api_key"])
        monkeypatch.setenv("REPLICATE_API_TOKEN", REPLICATE_KEY["api_token"])
        settings = make_settings(
            tmp_path / "h",
            provider_base_urls={"fal": fal_url, "replicate": rep_url},
            fetch_allow_hosts=[fal_url.removeprefix("http://"), rep_url.removeprefix("http://")],
        )
        async with open_container(settings, start_runner=True) as container:
            # A member: the environment keys are lent, so plan credits pay (billing.own_keys).
            async with container.db.transaction() as session:
                user = await identity.create_user(session, "member", Role.MEMBER)
                _row, key = await identity.create_api_key(session, user.id)
            transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://t", headers={"Authorization": f"Bearer {key}"}
            ) as client:
                yield Live(client, fal.state.emulator, rep.state.emulator)


async def test_failed_step_skips_descendants_and_user_pays_only_what_finished(live: Live) -> None:
    before = await live.balance()
    live.replicate.faults.add("moderation", on="submit", times=-1)
    pipeline = {
        "nodes": [
            {"id": "paid", "model": "fal/flux-dev", "prompt": "a bridge"},
            # Neither model has a published price: each node caps its cost.
            {
                "id": "refused",
                "model": "replicate/flux-schnell",
                "prompt": "something",
                "max_micros": 40_000,
            },
            {"id": "after", "model": "fal/wan-i2v", "prompt": "pan", "max_micros": 40_000},
        ],
        "edges": [{"from": "refused", "to": "after"}],
    }
    r = await live.client.post("/v1/runs", json={"pipeline": pipeline})
    assert r.status_code == 202, r.text
    run = await live.wait(r.json()["id"])
    steps = {s["node_id"]: s for s in run["steps"]}
    assert run["status"] == "failed"
    assert steps["paid"]["status"] == "succeeded" and steps["paid"]["cost_micros"] == 25_000
    assert steps["refused"]["status"] == "failed"
    assert steps["refused"]["error"]["code"] == "SAFETY_FILTER"
    assert steps["after"]["status"] == "skipped" and steps["after"]["task_id"] is None
    assert run["cost_micros"] == 25_000
    assert before - await live.balance() == 25_000  # the rest of the hold came back
    credits = (await live.client.get("/v1/credits")).json()
    assert credits["held"]["micros"] == 0


async def test_cancel_mid_run_stops_the_task_and_pays_only_what_finished(live: Live) -> None:
    before = await live.balance()
    pipeline = {
        "nodes": [
            {"id": "still", "model": "fal/flux-dev", "prompt": "a harbour"},
            {
                "id": "motion",
                "model": "fal/wan-i2v",
                "prompt": "boats",
                "params": {},
                "max_micros": 40_000,  # fal publishes no price for it
            },
        ],
        "edges": [{"from": "still", "to": "motion"}],
    }
    r = await live.client.post("/v1/runs", json={"pipeline": pipeline})
    run_id = r.json()["id"]
    await live.wait(
        run_id,
        until=lambda run: any(
            s["node_id"] == "motion" and s["status"] == "submitted" for s in run["steps"]
        ),
    )
    canceled = await live.client.post(f"/v1/runs/{run_id}/cancel")
    assert canceled.status_code == 200, canceled.text
    run = await live.wait(run_id)
    steps = {s["node_id"]: s for s in run["steps"]}
    assert run["status"] == "canceled"
    assert steps["still"]["status"] == "succeeded" and steps["motion"]["status"] == "canceled"
    assert live.fal.requests.get("cancel", 0) >= 1, live.fal.requests
    assert run["cost_micros"] == 25_000
    assert before - await live.balance() == 25_000
    again = await live.client.post(f"/v1/runs/{run_id}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "CONFLICT"
