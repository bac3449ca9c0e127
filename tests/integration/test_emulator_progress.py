"""Progress as each real provider reports it (Runway `progress`, fal logs, Replicate's
progress-bar logs, xAI video `progress`, ComfyUI `/ws` events), mapped by the adapter into
TaskUpdate.progress, so the live view's bar moves in sandbox too."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reelforge.domain.modes import Mode
from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.providers.base import Credential, GenerationRequest, TaskStatus
from reelforge.providers.plugins import load_registry
from tests.emulator_requests import REQUESTS
from tests.helpers import serve_asgi

PROGRESS_REQUESTS = {
    "runway": REQUESTS["runway"],
    "fal": REQUESTS["fal"],
    "replicate": GenerationRequest(
        model="minimax/hailuo-02", mode=Mode.T2V, prompt="waves", params={"duration": 6}
    ),
    "grok": GenerationRequest(
        model="grok-imagine-video", mode=Mode.T2V, prompt="a boat", params={"duration": 2}
    ),
    "comfyui": REQUESTS["comfyui"],
}


@pytest.mark.parametrize("name", sorted(PROGRESS_REQUESTS))
async def test_progress_rises_between_polls(name: str) -> None:
    cls = load_registry().get(name)
    assert cls is not None
    config = EmulatorConfig(queue_seconds=0.05, run_seconds=1.2, image_run_seconds=1.2)
    app = registry.load(name).create_app(config)
    credential = Credential(name, registry.load(name).sandbox_credential, "env")
    seen: list[float] = []
    with serve_asgi(app) as url:
        async with httpx.AsyncClient(timeout=10) as client:
            provider = cls(client, url)
            if name == "comfyui":  # listen to /ws briefly per poll, so several polls fit
                provider.ws_window = 0.1  # type: ignore[attr-defined]
            task = await provider.submit(PROGRESS_REQUESTS[name], credential)
            for _ in range(60):
                update = await provider.poll(task, credential)
                if update.status is TaskStatus.RUNNING and update.progress is not None:
                    seen.append(update.progress)
                if update.status.terminal:
                    break
                await asyncio.sleep(0.08)
    assert update.status is TaskStatus.SUCCEEDED
    running = [p for p in seen if 0.0 < p < 1.0]
    assert len(set(running)) >= 2, seen  # the bar moved while the task ran
    assert seen == sorted(seen), seen  # and never went back


async def test_comfyui_progress_in_process_as_sandbox_mode_runs_it() -> None:
    """Sandbox mode reaches the emulator through an ASGI transport (no network, so no
    WebSocket client): the adapter follows `/ws` through the app itself."""
    cls = load_registry().get("comfyui")
    assert cls is not None
    config = EmulatorConfig(queue_seconds=0.05, run_seconds=1.2, image_run_seconds=1.2)
    app = registry.load("comfyui").create_app(config)
    base = "http://comfyui.sandbox.reelforge.internal"
    credential = Credential("comfyui", registry.load("comfyui").sandbox_credential, "sandbox")
    seen: list[float] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base, timeout=10) as client:
        provider = cls(client, base)
        provider.ws_window = 0.1  # type: ignore[attr-defined]
        task = await provider.submit(REQUESTS["comfyui"], credential)
        for _ in range(60):
            update = await provider.poll(task, credential)
            if update.status is TaskStatus.RUNNING and update.progress is not None:
                seen.append(update.progress)
            if update.status.terminal:
                break
            await asyncio.sleep(0.05)
    assert update.status is TaskStatus.SUCCEEDED
    assert len({p for p in seen if 0.0 < p < 1.0}) >= 2, seen
    assert seen == sorted(seen), seen
