"""Deleting a user with a run in flight (live provider on 127.0.0.1): the run is canceled at
the provider, the user pays only what finished, no hold is left, and the run and its ledger
entries are kept."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from reelforge import billing
from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.fal import SANDBOX_CREDENTIAL as FAL_KEY
from reelforge.emulators.fal import create_app as fal_app
from reelforge.engine.states import RunStatus
from tests.conftest import make_settings
from tests.helpers import serve_asgi
from tests.integration.test_users_api import bearer, key_for, make_user

PIPELINE = {
    "nodes": [
        {"id": "still", "model": "fal/flux-dev", "prompt": "a harbour"},
        {
            "id": "motion",
            "model": "fal/wan-i2v",
            "prompt": "boats",
            "params": {},
            "max_micros": 200_000,
        },
    ],
    "edges": [{"from": "still", "to": "motion"}],
}


async def _run(container: Container, run_id: str, owner_id: str) -> tuple[str, dict[str, str]]:
    run, steps = await container.runs.get_run(run_id, owner_id)
    return run.status, {s.node_id: s.status for s in steps}


async def _until(container: Container, run_id: str, owner_id: str, done: object) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, steps = await _run(container, run_id, owner_id)
        if done(status, steps):  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} stayed {status} {steps}")


async def test_deleting_a_user_cancels_their_runs_and_leaves_no_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fal = fal_app(EmulatorConfig(queue_seconds=0.1, run_seconds=30.0, image_run_seconds=0.3))
    with serve_asgi(fal) as fal_url:
        monkeypatch.setenv("FAL_KEY", FAL_KEY["api_key"])
        settings = make_settings(
            tmp_path / "h",
            provider_base_urls={"fal": fal_url},
            fetch_allow_hosts=[fal_url.removeprefix("http://")],
        )
        async with open_container(settings, start_runner=True) as container:
            owner_key = settings.owner_key_path.read_text().strip()
            transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://t", headers=bearer(owner_key), timeout=60
            ) as client:
                member = await make_user(client)
                uid = member["id"]
                h = bearer(await key_for(client, uid))
                r = await client.post("/v1/runs", json={"pipeline": PIPELINE}, headers=h)
                assert r.status_code == 202, r.text
                run_id = r.json()["id"]
                await _until(
                    container, run_id, uid, lambda _s, steps: steps["motion"] == "submitted"
                )
                held = (await client.get("/v1/credits", params={"user_id": uid})).json()
                assert [h["status"] for h in held["holds"]] == ["active"]

                deleted = await client.delete(f"/v1/users/{uid}")
                assert deleted.status_code == 200, deleted.text
                assert deleted.json()["canceled_runs"] == [run_id]
                await _until(container, run_id, uid, lambda s, _steps: RunStatus(s).terminal)

                status, steps = await _run(container, run_id, uid)
                assert status == "canceled" and steps == {
                    "still": "succeeded",
                    "motion": "canceled",
                }
                assert fal.state.emulator.requests.get("cancel", 0) >= 1
                # What finished is paid, the rest of the hold came back, and the ledger
                # (with this user's entries) still balances.
                credits = (await client.get("/v1/credits", params={"user_id": uid})).json()
                assert credits["held"]["micros"] == 0 and credits["holds"] == []
                assert credits["balance"]["micros"] == 1_000_000 - 25_000
                ledger = (await client.get("/v1/credits/ledger", params={"user_id": uid})).json()
                assert {e["run_id"] for e in ledger["entries"]} >= {run_id}
                async with container.db.session() as s:
                    report = await billing.verify_balances(s)
                assert report.ok, report
                # The user's key no longer starts anything.
                again = await client.post("/v1/runs", json={"pipeline": PIPELINE}, headers=h)
                assert again.status_code == 401
