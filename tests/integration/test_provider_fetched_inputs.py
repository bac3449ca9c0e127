"""Inputs a provider must fetch itself (Luma takes keyframes only by URL): a signed link in
sandbox, a signed link under the public base URL live, and, with neither S3 nor a public
base URL, PUBLIC_URL_REQUIRED at quote time, before any run or provider call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.emulators import luma
from reelforge.emulators.base import EmulatorConfig
from reelforge.engine.media_io import SANDBOX_FILES_URL
from tests.conftest import make_settings
from tests.contract.mediacheck import mean_rgb, video_info
from tests.helpers import png_bytes, serve_asgi, serve_in_loop
from tests.integration.test_runs_api import wait_run

RED = png_bytes(64, 64, (230, 20, 20))


def _i2v(artifact_id: str) -> dict[str, Any]:
    return {
        "model": "luma/ray-2",
        "prompt": "the camera circles",
        "inputs": [{"artifact_id": artifact_id}],
        "max_micros": 2_000_000,
    }


async def _upload(client: httpx.AsyncClient) -> str:
    r = await client.post("/v1/uploads", files={"file": ("red.png", RED, "image/png")})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _first_frame_red(client: httpx.AsyncClient, run: dict[str, Any]) -> float:
    out = run["steps"][0]["outputs"][0]
    video = (await client.get(f"/v1/artifacts/{out}/content")).content
    return float(mean_rgb(video_info(video).frames[0])[0])


async def test_sandbox_luma_fetches_a_signed_link_in_process(
    run_client: httpx.AsyncClient,
) -> None:
    artifact = await _upload(run_client)
    r = await run_client.post("/v1/generations", json=_i2v(artifact))
    assert r.status_code == 202, r.text
    run = await wait_run(run_client, r.json()["id"])
    assert run["status"] == "succeeded", run
    assert await _first_frame_red(run_client, run) > 150  # the keyframe came through


@pytest.fixture
def live_luma() -> Any:
    app = luma.create_app(EmulatorConfig(queue_seconds=0.05, run_seconds=0.2))
    with serve_asgi(app) as url:
        yield app, url


async def _live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, **settings: Any
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    monkeypatch.setenv("LUMA_API_KEY", luma.SANDBOX_CREDENTIAL["api_key"])
    config = make_settings(
        tmp_path / "home",
        provider_base_urls={"luma": url},
        fetch_allow_hosts=[url.removeprefix("http://")],
        **settings,
    )
    async with open_container(config, start_runner=True) as container:
        key = config.owner_key_path.read_text().strip()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as client:
            yield container, client


async def test_without_a_public_url_the_quote_says_which_setting_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live_luma: Any
) -> None:
    app, url = live_luma
    async for _container, client in _live(tmp_path, monkeypatch, url):
        artifact = await _upload(client)
        node = {"id": "a", **_i2v(artifact)}
        quote = await client.post("/v1/quotes", json={"pipeline": {"nodes": [node]}})
        assert quote.status_code == 422, quote.text
        error = quote.json()["error"]
        assert error["code"] == "PUBLIC_URL_REQUIRED" and error["detail"]["provider"] == "luma"
        assert "REELFORGE_PUBLIC_BASE_URL" in " ".join(error["remediation"])
        r = await client.post("/v1/generations", json=_i2v(artifact))
        assert r.status_code == 422 and r.json()["error"]["code"] == "PUBLIC_URL_REQUIRED"
        assert (await client.get("/v1/runs")).json()["runs"] == []
        assert app.state.emulator.tasks.submissions.get("total", 0) == 0


async def test_with_a_public_url_luma_fetches_a_signed_expiring_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live_luma: Any
) -> None:
    app, url = live_luma
    holder: dict[str, Any] = {}

    async def api(scope: Any, receive: Any, send: Any) -> None:
        await holder["app"](scope, receive, send)

    async with serve_in_loop(api) as public:
        async for container, client in _live(tmp_path, monkeypatch, url, public_base_url=public):
            holder["app"] = api_app(container)
            artifact = await _upload(client)
            r = await client.post("/v1/generations", json=_i2v(artifact))
            assert r.status_code == 202, r.text
            run = await wait_run(client, r.json()["id"])
            assert run["status"] == "succeeded", run
            task = next(iter(app.state.emulator.tasks.tasks.values()))
            link = task.extra["body"]["keyframes"]["frame0"]["url"]
            assert link.startswith(f"{public}/v1/artifacts/{artifact}/content?expires=")
            assert "sig=" in link and not link.startswith(SANDBOX_FILES_URL)
            assert await _first_frame_red(client, run) > 150
            forged = link.rsplit("sig=", 1)[0] + "sig=" + "0" * 64
            async with httpx.AsyncClient() as outside:
                assert (await outside.get(forged)).status_code == 403
