"""A live provider (its emulator on 127.0.0.1) calls back on completion: the step advances at
once instead of at its slow safety-net poll; the run's own webhook arrives signed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelforge.app import api_app, open_container
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.fal import SANDBOX_CREDENTIAL, create_app
from reelforge.engine.webhooks import owner_webhook_secret, verify
from tests.conftest import make_settings
from tests.helpers import free_port, serve_asgi, serve_in_loop


@pytest.mark.slow
async def test_provider_callback_advances_the_step_and_webhook_is_signed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[tuple[bytes, str]] = []

    async def hook(request: Request) -> Response:
        received.append((await request.body(), request.headers.get("x-reelforge-signature", "")))
        return Response(status_code=200)

    api_port = free_port()
    emulator = create_app(EmulatorConfig(run_seconds=0.5, image_run_seconds=0.5))
    with (
        serve_asgi(emulator) as fal_url,
        serve_asgi(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as hook_url,
    ):
        monkeypatch.setenv("FAL_KEY", SANDBOX_CREDENTIAL["api_key"])
        settings = make_settings(
            tmp_path / "h",
            provider_base_urls={"fal": fal_url},
            public_base_url=f"http://127.0.0.1:{api_port}",
            fetch_allow_hosts=[fal_url.removeprefix("http://"), hook_url.removeprefix("http://")],
        )
        async with open_container(settings, start_runner=True) as container:
            async with serve_in_loop(api_app(container), port=api_port) as api_url:
                key = settings.owner_key_path.read_text().strip()
                async with httpx.AsyncClient(
                    base_url=api_url, headers={"Authorization": f"Bearer {key}"}
                ) as c:
                    started = time.monotonic()
                    r = await c.post(
                        "/v1/generations",
                        json={
                            "model": "fal/flux-dev",
                            "prompt": "a kite",
                            "callback_url": f"{hook_url}/hook",
                        },
                    )
                    assert r.status_code == 202, r.text
                    run: dict[str, Any] = r.json()
                    while (
                        run["status"] not in ("succeeded", "failed")
                        and time.monotonic() - started < 25
                    ):
                        await asyncio.sleep(0.2)
                        run = (await c.get(f"/v1/runs/{run['id']}")).json()
                    elapsed = time.monotonic() - started
                    for _ in range(50):
                        if received:
                            break
                        await asyncio.sleep(0.1)
                owner = await _owner(api_url, key)
            stats = emulator.state.emulator.stats()
    assert run["status"] == "succeeded", run["steps"]
    assert run["sandbox"] is False
    # The safety-net poll is 30 s away: finishing this fast means the callback did it.
    assert elapsed < 15, elapsed
    assert stats["callbacks_sent"] and stats["callbacks_sent"][0]["status"] == 204
    assert received, "the run's webhook was not delivered"
    body, signature = received[0]
    secret = owner_webhook_secret(container.extras["secret"], owner)
    assert verify(secret, body, signature)
    assert not verify(secret, body + b" ", signature)
    assert b'"status":"succeeded"' in body


async def _owner(api_url: str, key: str) -> str:
    async with httpx.AsyncClient(base_url=api_url, headers={"Authorization": f"Bearer {key}"}) as c:
        return str((await c.get("/v1/me")).json()["id"])
