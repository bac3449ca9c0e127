"""Luma adapter against the Luma emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import lumaai
import numpy as np
import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.luma import SANDBOX_KEY, create_app
from reelforge.providers.base import Credential, GenerationRequest, InputMedia, ProviderTask
from reelforge.providers.luma import LumaProvider
from reelforge.providers.plugins import load_registry, plugin_manager
from reelforge.providers.polling import generate, poll_until_complete
from tests.contract.mediacheck import (
    Hooks,
    data_uri,
    hooks_server,
    image_of,
    mean_rgb,
    video_info,
)
from tests.helpers import png_bytes, serve_asgi

CRED = Credential("luma", {"api_key": SANDBOX_KEY}, "env")
SANDBOX = Credential("luma", {"api_key": SANDBOX_KEY}, "sandbox")
RED = png_bytes(64, 36, (220, 20, 20))


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Any, str]]:
    config = EmulatorConfig(queue_seconds=0.05, run_seconds=0.2, image_run_seconds=0.05)
    app = create_app(config)
    with serve_asgi(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def hooks() -> Iterator[Hooks]:
    with hooks_server() as h:
        h.files["red.png"] = (RED, "image/png")
        yield h


@pytest.fixture
def emu(server: tuple[Any, str]) -> Any:
    app, _ = server
    app.state.emulator.reset()
    app.state.luma.balance_cents = 50_000.0
    return app.state.emulator


@pytest.fixture
async def luma(server: tuple[Any, str], emu: Any) -> AsyncIterator[LumaProvider]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield LumaProvider(client, base_url=server[1])


async def fetch(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as c:
        return await c.get(url)


def t2v(**params: Any) -> GenerationRequest:
    return GenerationRequest(
        model="ray-2", mode=Mode.T2V, prompt="a tiger walking in snow", params=params
    )


async def run(luma: LumaProvider, request: GenerationRequest, cred: Credential = CRED) -> Any:
    return await generate(luma, request, cred, interval=0.05, timeout=15)


async def test_text_to_video_is_a_real_video_submitted_once(luma: LumaProvider, emu: Any) -> None:
    result = await run(luma, t2v(duration=5, aspect_ratio="9:16", resolution="720p"))
    assert result.media_type is MediaKind.VIDEO and result.outputs[0].duration_seconds == 5.0
    info = video_info((await fetch(result.url)).content)
    assert (info.width, info.height) == (180, 320)
    assert abs(info.duration - 5.0) < 0.3
    assert emu.tasks.submissions["total"] == 1
    assert result.sandbox is False


async def test_keyframe_image_to_video_animates_the_image(
    luma: LumaProvider, hooks: Hooks, emu: Any
) -> None:
    request = GenerationRequest(
        model="ray-2",
        mode=Mode.I2V,
        prompt="the red card spins",
        params={"duration": "5s"},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=hooks.url("red.png"), slot="image")],
    )
    result = await run(luma, request)
    info = video_info((await fetch(result.url)).content)
    first = mean_rgb(info.frames[0])
    assert first[0] > 150 and first[1] < 80, "the video starts from the given red image"
    assert (info.width, info.height) == (320, 180)  # follows the input's 16:9
    body = emu.tasks.tasks[result.task.task_id].extra["body"]
    assert body["keyframes"]["frame0"] == {"type": "image", "url": hooks.url("red.png")}


async def test_data_uri_inputs_are_refused_before_a_round_trip(
    luma: LumaProvider, emu: Any, server: tuple[Any, str], hooks: Hooks
) -> None:
    """Luma takes inputs only by URL (the engine hands it a signed link); the emulator is as
    strict as the API, so inline data is refused there too, and a URL works."""
    image = InputMedia(kind=MediaKind.IMAGE, url=data_uri(RED, "image/png"))
    request = GenerationRequest(model="ray-flash-2", mode=Mode.I2V, prompt="spin", inputs=[image])
    for credential in (CRED, SANDBOX):
        with pytest.raises(ReelForgeError) as info:
            await luma.submit(request, credential)
        assert info.value.code is ErrorCode.VALIDATION_ERROR
        assert info.value.detail["field"] == "frame0"
    assert emu.tasks.submissions["total"] == 0
    body = {
        "model": "ray-flash-2",
        "prompt": "spin",
        "keyframes": {"frame0": {"type": "image", "url": data_uri(RED, "image/png")}},
    }
    async with httpx.AsyncClient(timeout=5) as client:
        raw = await client.post(
            f"{server[1]}/dream-machine/v1/generations",
            json=body,
            headers={"Authorization": f"Bearer {CRED.values['api_key']}"},
        )
    assert raw.status_code == 400 and "URL" in raw.text, raw.text
    linked = InputMedia(kind=MediaKind.IMAGE, url=hooks.url("red.png"))
    result = await run(luma, request.model_copy(update={"inputs": [linked]}), CRED)
    assert mean_rgb(video_info((await fetch(result.url)).content).frames[0])[0] > 150


async def test_extend_continues_from_the_last_frame(luma: LumaProvider, emu: Any) -> None:
    first = await run(luma, t2v(duration=5))
    extended = await run(luma, t2v(duration=5, extend_generation_id=first.task.task_id))
    body = emu.tasks.tasks[extended.task.task_id].extra["body"]
    assert body["keyframes"]["frame0"] == {"type": "generation", "id": first.task.task_id}
    source = video_info((await fetch(first.url)).content)
    follow = video_info((await fetch(extended.url)).content)
    gap = np.abs(mean_rgb(source.frames[-1]) - mean_rgb(follow.frames[0])).max()
    assert gap < 25, "the extension starts where the source ended"


async def test_extend_of_an_unknown_generation_is_a_validation_error(luma: LumaProvider) -> None:
    with pytest.raises(ReelForgeError) as info:
        await luma.submit(t2v(extend_generation_id="nope"), CRED)
    assert info.value.code is ErrorCode.VALIDATION_ERROR


async def test_image_generation_and_image_to_image(luma: LumaProvider, hooks: Hooks) -> None:
    t2i = GenerationRequest(
        model="photon-1", mode=Mode.T2I, prompt="a lighthouse", params={"aspect_ratio": "1:1"}
    )
    result = await run(luma, t2i)
    assert result.media_type is MediaKind.IMAGE and result.outputs[0].content_type == "image/jpeg"
    img = image_of((await fetch(result.url)).content)
    assert img.format == "JPEG" and img.size == (240, 240)
    i2i = GenerationRequest(
        model="photon-flash-1",
        mode=Mode.I2I,
        prompt="make it redder",
        params={"format": "png", "image_weight": 0.8},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=hooks.url("red.png"))],
    )
    edited = image_of((await fetch((await run(luma, i2i)).url)).content)
    assert edited.format == "PNG"
    assert mean_rgb(np.asarray(edited.convert("RGB")))[0] > 120


async def test_modify_remixes_a_video(luma: LumaProvider, emu: Any) -> None:
    source = await run(luma, t2v(duration=5))
    remix = GenerationRequest(
        model="ray-2",
        mode=Mode.V2V,
        prompt="make it anime",
        params={"mode": "reimagine_2"},
        inputs=[InputMedia(kind=MediaKind.VIDEO, url=source.url)],
    )
    result = await run(luma, remix)
    body = emu.tasks.tasks[result.task.task_id].extra["body"]
    assert body["generation_type"] == "modify_video" and body["mode"] == "reimagine_2"
    info = video_info((await fetch(result.url)).content)
    assert abs(info.duration - 5.0) < 0.3


async def test_balance_is_reported_in_usd_and_falls(luma: LumaProvider) -> None:
    before = await luma.balance(CRED)
    assert before.unit == "USD" and before.amount == 500.0
    await luma.submit(t2v(duration=5), CRED)
    after = await luma.balance(CRED)
    assert after.amount is not None and round(before.amount - after.amount, 2) == 0.71
    assert await luma.verify(CRED) is True
    assert (await luma.health()).ok


async def test_bad_key_is_auth_failed(luma: LumaProvider, emu: Any) -> None:
    bad = Credential("luma", {"api_key": "luma-wrong"}, "env")
    for call in (luma.submit(t2v(), bad), luma.verify(bad)):
        with pytest.raises(ReelForgeError) as info:
            await call
        assert info.value.code is ErrorCode.AUTH_FAILED
        assert "luma-wrong" not in str(info.value.to_dict())
    assert emu.tasks.submissions["total"] == 0


@pytest.mark.parametrize("status", [402, 400])
async def test_out_of_credit(luma: LumaProvider, emu: Any, status: int) -> None:
    emu.faults.add("insufficient_credit", on="submit", status=status)
    with pytest.raises(ReelForgeError) as info:
        await luma.submit(t2v(), CRED)
    assert info.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT and not info.value.retryable


async def test_rate_limit_carries_retry_after(luma: LumaProvider, emu: Any) -> None:
    emu.faults.add("rate_limit", on="submit", seconds=3)
    with pytest.raises(ReelForgeError) as info:
        await luma.submit(t2v(), CRED)
    assert info.value.code is ErrorCode.RATE_LIMITED and info.value.retry_after == 3
    assert emu.tasks.submissions["total"] == 0


async def test_server_error_then_success(luma: LumaProvider, emu: Any) -> None:
    emu.faults.add("server_error", on="poll", times=2, status=502)
    result = await run(luma, t2v())
    assert result.url and emu.requests["poll"] >= 3
    emu.faults.add("malformed", on="poll")
    with pytest.raises(ReelForgeError) as info:
        await luma.poll(result.task, CRED)
    assert info.value.code is ErrorCode.PROVIDER_ERROR and info.value.retryable


async def test_moderation_is_safety_filter(luma: LumaProvider, emu: Any) -> None:
    emu.faults.add("moderation", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await run(luma, t2v())
    assert info.value.code is ErrorCode.SAFETY_FILTER and not info.value.retryable
    assert "moderation" in info.value.message


async def test_failed_generation_is_a_retryable_provider_error(
    luma: LumaProvider, emu: Any
) -> None:
    emu.faults.add("fail", on="submit")
    task = await luma.submit(t2v(), CRED)
    update = await poll_until_complete(
        lambda: luma.poll(task, CRED), task_id=task.task_id, interval=0.05, timeout=5
    )
    assert update.error is not None and update.error["code"] == "PROVIDER_ERROR"
    assert update.error["retryable"] is True


async def test_timeout_resumes_by_task_id(luma: LumaProvider, emu: Any) -> None:
    request = t2v()
    task = await luma.submit(request, CRED)
    stored = task.model_dump_json()  # what a worker persists before waiting
    with pytest.raises(ReelForgeError) as info:
        await poll_until_complete(
            lambda: luma.poll(task, CRED), task_id=task.task_id, interval=0.05, timeout=0.01
        )
    assert info.value.code is ErrorCode.ENGINE_TIMEOUT
    assert info.value.detail["task_id"] == task.task_id
    resumed = ProviderTask.model_validate_json(stored)
    result = await generate(luma, request, CRED, interval=0.05, timeout=10, task=resumed)
    assert result.url and result.task.task_id == task.task_id
    assert emu.tasks.submissions["total"] == 1


async def test_stuck_task_times_out_and_hanging_server_is_retryable(
    server: tuple[Any, str], luma: LumaProvider, emu: Any
) -> None:
    emu.faults.add("stuck", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await generate(luma, t2v(), CRED, interval=0.05, timeout=0.6)
    assert info.value.code is ErrorCode.ENGINE_TIMEOUT and info.value.detail["task_id"]
    emu.faults.add("timeout", on="poll", seconds=1.0)
    async with httpx.AsyncClient(timeout=0.2) as client:
        impatient = LumaProvider(client, base_url=server[1])
        task = await impatient.submit(t2v(), CRED)
        with pytest.raises(ReelForgeError) as hang:
            await impatient.poll(task, CRED)
    assert hang.value.code is ErrorCode.PROVIDER_ERROR and hang.value.retryable


async def test_expired_result_url_answers_403(luma: LumaProvider, emu: Any) -> None:
    result = await run(luma, t2v())
    emu.faults.add("expired_output", on="files")
    response = await fetch(result.url)
    assert response.status_code == 403 and b"expired" in response.content


async def test_validation_errors_name_the_field(luma: LumaProvider) -> None:
    with pytest.raises(ReelForgeError) as info:
        await luma.submit(t2v(aspect_ratio="5:4"), CRED)
    assert info.value.code is ErrorCode.VALIDATION_ERROR
    assert info.value.detail["field"] == "aspect_ratio"
    short = GenerationRequest(model="ray-2", mode=Mode.T2V, prompt="hi")
    with pytest.raises(ReelForgeError) as too_short:
        await luma.submit(short, CRED)
    assert too_short.value.code is ErrorCode.VALIDATION_ERROR
    assert "too short" in too_short.value.message


async def test_callback_receives_the_finished_generation(
    luma: LumaProvider, hooks: Hooks, emu: Any
) -> None:
    request = t2v().model_copy(update={"callback_url": f"{hooks.base_url}/hook"})
    task = await luma.submit(request, CRED)
    for _ in range(300):
        if any(h.get("id") == task.task_id for h in hooks.received):
            break
        await asyncio.sleep(0.05)
    received = [h for h in hooks.received if h.get("id") == task.task_id]
    assert received, emu.callbacks_sent
    assert received[-1]["state"] == "completed"


async def test_official_sdk_drives_the_emulator(server: tuple[Any, str], emu: Any) -> None:
    base = f"{server[1]}/dream-machine/v1"
    async with lumaai.AsyncLumaAI(auth_token=SANDBOX_KEY, base_url=base, max_retries=0) as sdk:
        generation = await sdk.generations.create(
            model="ray-flash-2", prompt="a koi pond at dawn", aspect_ratio="1:1", duration="5s"
        )
        assert generation.state == "queued"
        while generation.state not in ("completed", "failed"):
            await asyncio.sleep(0.05)
            generation = await sdk.generations.get(generation.id)
        assert generation.state == "completed" and generation.assets.video
        image = await sdk.generations.image.create(model="photon-1", prompt="a koi", sync=True)
        assert image.state == "completed" and image.assets.image
        credits = await sdk.credits.get()
        assert credits.credit_balance < 50_000
        listing = await sdk.generations.list(limit=1)
        assert listing.count == 1 and listing.has_more
        await sdk.generations.delete(generation.id)
    async with lumaai.AsyncLumaAI(auth_token="wrong", base_url=base, max_retries=0) as bad:
        with pytest.raises(lumaai.AuthenticationError):
            await bad.credits.get()
    info = video_info((await fetch(generation.assets.video)).content)
    assert (info.width, info.height) == (240, 240)


def test_registered_as_plugin_and_emulator() -> None:
    assert load_registry(plugin_manager(load_entry_points=False)).get("luma") is LumaProvider
    spec = registry.load("luma")
    assert spec.sandbox_credential == {"api_key": SANDBOX_KEY}


async def test_unreadable_keyframe_fails_the_generation_as_luma_does(
    luma: LumaProvider, hooks: Hooks
) -> None:
    request = GenerationRequest(
        model="ray-2",
        mode=Mode.I2V,
        prompt="spin around",
        params={"loop": False},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=hooks.url("missing.png"))],
    )
    task = await luma.submit(request, CRED)
    update = await poll_until_complete(
        lambda: luma.poll(task, CRED), task_id=task.task_id, interval=0.05, timeout=5
    )
    assert update.error is not None and update.error["code"] == "VALIDATION_ERROR"
    assert update.error["detail"]["field"] == "keyframes"
    assert "Failed to read user input frames" in update.error["message"]
