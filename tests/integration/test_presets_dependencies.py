"""With sandbox off only what is connected serves: a preset routes to the engine that is
there (fal, live against its emulator on 127.0.0.1), and a preset a step of which nothing
available can do fails with DEPENDENCY_MISSING before any paid step: no run, no hold, no
capture, no provider call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.fal import SANDBOX_CREDENTIAL as FAL_KEY
from reelforge.emulators.fal import create_app as fal_app
from tests.conftest import make_settings
from tests.helpers import serve_asgi
from tests.integration.preset_helpers import content, decode_video, upload
from tests.integration.test_runs_api import wait_run
from tests.media_helpers import make_image, make_tone


@dataclass
class Live:
    client: httpx.AsyncClient
    fal: Any

    async def ledger(self) -> list[dict[str, Any]]:
        r = await self.client.get("/v1/credits/ledger", params={"limit": 200})
        assert r.status_code == 200, r.text
        return list(r.json()["entries"])


@pytest.fixture
async def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Live]:
    fal = fal_app(EmulatorConfig(queue_seconds=0.1, run_seconds=0.5, image_run_seconds=0.3))
    with serve_asgi(fal) as fal_url:
        monkeypatch.setenv("FAL_KEY", FAL_KEY["api_key"])
        settings = make_settings(
            tmp_path / "h",
            sandbox=False,
            provider_base_urls={"fal": fal_url},
            fetch_allow_hosts=[fal_url.removeprefix("http://")],
        )
        async with open_container(settings, start_runner=True) as container:
            key = settings.owner_key_path.read_text().strip()
            transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://t",
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            ) as client:
                yield Live(client, fal.state.emulator)


async def test_missing_dependency_fails_before_any_paid_step(live: Live, tmp_path: Path) -> None:
    product = await upload(live.client, make_image(tmp_path / "cup.png", 128, 128, "white"))
    voice = await upload(live.client, make_tone(tmp_path / "vo.wav", seconds=1.0))
    before = await live.ledger()
    # Pro with a voiceover lip-syncs: neither Sync nor Kling is connected. The scene and
    # the clip (fal, connected and paid) come first in the pipeline, yet nothing runs.
    r = await live.client.post(
        "/v1/runs",
        json={
            "preset": "ugc_clip_builder_v1",
            "inputs": {"product_image": product, "prompt": "a cup on a table", "audio": voice},
            "quality": "pro",
            "consent_given": True,
        },
    )
    assert r.status_code == 424, r.text
    error = r.json()["error"]
    assert error["code"] == "DEPENDENCY_MISSING"
    assert error["detail"]["step"] == "lipsync"
    assert "SYNC_API_KEY" in error["detail"]["install"]
    assert error["detail"]["engines"]["sync/lipsync-2"] == "sync is not connected"
    assert any("SYNC_API_KEY" in step for step in error["remediation"])
    assert (await live.client.get("/v1/runs")).json()["runs"] == []
    assert await live.ledger() == before  # no hold, no capture
    assert not live.fal.stats()["submissions"]  # no provider was called
    # The identity lock has no engine at all here (no ComfyUI extension, no provider).
    face = await upload(live.client, make_image(tmp_path / "face.png", 128, 128, "tan"))
    r = await live.client.post(
        "/v1/runs",
        json={
            "preset": "identity_lock_portrait_v1",
            "inputs": {"prompt": "x", "identity_reference": [face]},
            "consent_given": True,
        },
    )
    assert r.status_code == 424 and "ComfyUI_InstantID" in r.json()["error"]["message"]
    # GET shows the level as unavailable, with the same error.
    shown = (await live.client.get("/v1/presets/identity_lock_portrait_v1")).json()
    assert shown["quality_levels"]["low"]["price"]["available"] is False


async def test_a_preset_routes_to_the_engine_that_is_connected(live: Live, tmp_path: Path) -> None:
    image = await upload(live.client, make_image(tmp_path / "a.png", 160, 120))
    r = await live.client.post(
        "/v1/runs",
        json={"preset": "image_to_video_v1", "inputs": {"image": image}, "quality": "low"},
    )
    assert r.status_code == 202, r.text
    run = await wait_run(live.client, r.json()["id"], timeout=120)
    assert run["status"] == "succeeded", run
    motion = run["steps"][0]
    # Kling, Runway and MiniMax are not connected: fal's Hailuo serves, with no fallbacks.
    assert motion["model"] == "fal/hailuo-02-standard-i2v" and motion["sandbox"] is False
    assert motion["route"]["options"] == ["fal/hailuo-02-standard-i2v"]
    assert motion["cost_micros"] == 45_000 * 6
    _frames, _size, seconds = decode_video(
        await content(live.client, run["outputs"][0]["artifact_id"])
    )
    assert abs(seconds - 2.0) < 0.3
