"""Higgsfield adapter against the Higgsfield emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import higgsfield_client
import httpx
import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.base.render import render_audio
from reelforge.emulators.higgsfield import SANDBOX_CREDENTIAL, SANDBOX_KEY, create_app
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    ProviderTask,
    TaskStatus,
)
from reelforge.providers.higgsfield import HiggsfieldProvider
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

CRED = Credential("higgsfield", SANDBOX_CREDENTIAL, "env")
RED = png_bytes(48, 64, (220, 20, 20))
SPEECH = render_audio("hello there how are you today")  # a WAV of about 2 s


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
        h.files["speech.wav"] = (SPEECH, "audio/wav")
        h.files["speech.mp3"] = (b"ID3" + bytes(64), "audio/mpeg")
        yield h


@pytest.fixture
def emu(server: tuple[Any, str]) -> Any:
    state = server[0].state.emulator
    state.reset()
    state.tasks.queue_seconds = 0.05
    return state


@pytest.fixture
async def hf(server: tuple[Any, str], emu: Any) -> AsyncIterator[HiggsfieldProvider]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield HiggsfieldProvider(client, base_url=server[1])


async def fetch(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as c:
        return await c.get(url)


def dop(url: str, model: str = "dop-turbo", **kw: Any) -> GenerationRequest:
    return GenerationRequest(
        model=model,
        mode=Mode.I2V,
        prompt="cinematic orbit around the subject",
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=url)],
        **kw,
    )


def soul(**params: Any) -> GenerationRequest:
    return GenerationRequest(model="soul", mode=Mode.T2I, prompt="a portrait", params=params)


async def run(hf: HiggsfieldProvider, request: GenerationRequest) -> Any:
    return await generate(hf, request, CRED, interval=0.05, timeout=15)


async def test_dop_turbo_animates_the_image_once(hf: Any, hooks: Hooks, emu: Any) -> None:
    result = await run(hf, dop(hooks.url("red.png"), seed=1234, params={"motion_id": "m-1"}))
    assert result.media_type is MediaKind.VIDEO
    info = video_info((await fetch(result.url)).content)
    assert (info.width, info.height) == (240, 320)  # the input's 3:4
    assert abs(info.duration - 5.0) < 0.3
    assert mean_rgb(info.frames[0])[0] > 150
    assert emu.tasks.submissions["total"] == 1
    body = emu.tasks.tasks[result.task.task_id].params
    assert body["model"] == "dop-turbo" and body["seed"] == 1234
    assert body["motions"] == [{"id": "m-1", "strength": 0.8}]


async def test_dop_quality_uploads_a_data_uri_first(hf: Any, emu: Any) -> None:
    result = await run(hf, dop(data_uri(RED, "image/png"), model="dop-standard"))
    body = emu.tasks.tasks[result.task.task_id].params
    assert "/files/" in body["input_images"][0]["image_url"]
    assert emu.requests["files"] >= 2  # the upload slot and the PUT
    info = video_info((await fetch(result.url)).content)
    assert mean_rgb(info.frames[0])[0] > 150


async def test_speak_makes_a_talking_video_with_the_audio(hf: Any, hooks: Hooks) -> None:
    request = GenerationRequest(
        model="speak-v2",
        mode=Mode.AVATAR,
        prompt="friendly presenter",
        params={"quality": "high", "duration": 5},
        inputs=[
            InputMedia(kind=MediaKind.IMAGE, url=hooks.url("red.png")),
            InputMedia(kind=MediaKind.AUDIO, url=data_uri(SPEECH, "audio/wav")),
        ],
    )
    info = video_info((await fetch((await run(hf, request)).url)).content)
    assert info.has_audio and 1.5 < info.duration < 3.0


async def test_speak_needs_wav_audio_and_an_audio_input(hf: Any, hooks: Hooks) -> None:
    image = InputMedia(kind=MediaKind.IMAGE, url=hooks.url("red.png"))
    mp3 = InputMedia(kind=MediaKind.AUDIO, url=hooks.url("speech.mp3"))
    with pytest.raises(ReelForgeError) as missing:
        await hf.submit(GenerationRequest(model="speak-v2", mode=Mode.AVATAR, inputs=[image]), CRED)
    assert missing.value.code is ErrorCode.VALIDATION_ERROR
    assert missing.value.detail["field"] == "input_audio"
    with pytest.raises(ReelForgeError) as not_wav:
        await hf.submit(
            GenerationRequest(model="speak-v2", mode=Mode.AVATAR, inputs=[image, mp3]), CRED
        )
    assert not_wav.value.code is ErrorCode.VALIDATION_ERROR and "WAV" in not_wav.value.message


async def test_soul_batch_of_images(hf: Any) -> None:
    result = await run(hf, soul(width_and_height="1152x2048", batch_size=4, seed=7))
    assert len(result.outputs) == 4
    images = [image_of((await fetch(o.url)).content) for o in result.outputs]
    assert {img.size for img in images} == {(288, 512)}
    assert images[0].tobytes() != images[1].tobytes()


async def test_cancel_while_queued_and_not_after(hf: Any, emu: Any) -> None:
    emu.tasks.queue_seconds = 30
    task = await hf.submit(soul(), CRED)
    assert await hf.cancel(task, CRED) is True
    assert (await hf.poll(task, CRED)).status is TaskStatus.CANCELED
    emu.tasks.queue_seconds = 0.0
    started = await hf.submit(soul(), CRED)
    await asyncio.sleep(0.02)
    assert await hf.cancel(started, CRED) is False


async def test_idempotency_key_returns_the_original_request(hf: Any, emu: Any) -> None:
    request = soul().model_copy(update={"idempotency_key": "step-42"})
    first = await hf.submit(request, CRED)
    again = await hf.submit(request, CRED)
    assert first.task_id == again.task_id and emu.tasks.submissions["total"] == 1
    other = await hf.submit(soul(), CRED)  # a plain repeat is a new request
    assert other.task_id != first.task_id and emu.tasks.submissions["total"] == 2
    assert HiggsfieldProvider.idempotent_submit


async def test_bad_key_is_auth_failed(hf: Any, emu: Any) -> None:
    bad = Credential("higgsfield", {"key_id": "hf-x", "key_secret": "wrong-secret"}, "env")
    for call in (hf.submit(soul(), bad), hf.verify(bad)):
        with pytest.raises(ReelForgeError) as info:
            await call
        assert info.value.code is ErrorCode.AUTH_FAILED
        assert "wrong-secret" not in str(info.value.to_dict())
    assert await hf.verify(CRED) is True
    assert (await hf.health()).ok
    assert emu.tasks.submissions["total"] == 0


@pytest.mark.parametrize("status", [402, 403])
async def test_out_of_credit(hf: Any, emu: Any, status: int) -> None:
    emu.faults.add("insufficient_credit", on="submit", status=status)
    with pytest.raises(ReelForgeError) as info:
        await hf.submit(soul(), CRED)
    assert info.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT


async def test_rate_limit_carries_retry_after(hf: Any, emu: Any) -> None:
    emu.faults.add("rate_limit", on="submit", seconds=4)
    with pytest.raises(ReelForgeError) as info:
        await hf.submit(soul(), CRED)
    assert info.value.code is ErrorCode.RATE_LIMITED and info.value.retry_after == 4


async def test_server_error_then_success(hf: Any, emu: Any) -> None:
    emu.faults.add("server_error", on="poll", times=2, status=503)
    result = await run(hf, soul())
    assert result.outputs and emu.requests["poll"] >= 3


async def test_nsfw_is_safety_filter(hf: Any, emu: Any) -> None:
    emu.faults.add("moderation", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await run(hf, soul())
    assert info.value.code is ErrorCode.SAFETY_FILTER and not info.value.retryable
    assert info.value.detail["status"] == "nsfw"


async def test_failed_request_is_retryable_provider_error(hf: Any, emu: Any) -> None:
    emu.faults.add("fail", on="submit")
    task = await hf.submit(soul(), CRED)
    update = await poll_until_complete(
        lambda: hf.poll(task, CRED), task_id=task.task_id, interval=0.05, timeout=5
    )
    assert update.status is TaskStatus.FAILED and update.error is not None
    assert update.error["code"] == "PROVIDER_ERROR" and update.error["retryable"]


async def test_timeout_resumes_by_task_id(hf: Any, hooks: Hooks, emu: Any) -> None:
    request = dop(hooks.url("red.png"))
    task = await hf.submit(request, CRED)
    stored = task.model_dump_json()
    with pytest.raises(ReelForgeError) as info:
        await poll_until_complete(
            lambda: hf.poll(task, CRED), task_id=task.task_id, interval=0.05, timeout=0.01
        )
    assert info.value.code is ErrorCode.ENGINE_TIMEOUT
    assert info.value.detail["task_id"] == task.task_id
    resumed = ProviderTask.model_validate_json(stored)
    result = await generate(hf, request, CRED, interval=0.05, timeout=10, task=resumed)
    assert result.url and emu.tasks.submissions["total"] == 1


async def test_expired_result_url_answers_403(hf: Any, emu: Any) -> None:
    result = await run(hf, soul())
    emu.faults.add("expired_output", on="files")
    assert (await fetch(result.url)).status_code == 403


async def test_validation_errors_name_the_field(hf: Any) -> None:
    with pytest.raises(ReelForgeError) as info:
        await hf.submit(soul(seed=5_000_000), CRED)
    assert info.value.code is ErrorCode.VALIDATION_ERROR and info.value.detail["field"] == "seed"
    with pytest.raises(ReelForgeError) as unknown:
        await hf.submit(soul().model_copy(update={"model": "dop-ultra"}), CRED)
    assert unknown.value.detail["field"] == "model"


async def test_webhook_receives_the_final_status(hf: Any, hooks: Hooks) -> None:
    request = soul().model_copy(update={"callback_url": f"{hooks.base_url}/hook"})
    task = await hf.submit(request, CRED)

    def ours() -> list[dict[str, Any]]:
        return [h for h in hooks.received if h.get("request_id") == task.task_id]

    # Progress hooks ("in_progress") may come first: wait for one that is not.
    for _ in range(200):
        if any(h.get("status") != "in_progress" for h in ours()):
            break
        await asyncio.sleep(0.05)
    final = ours()
    assert final and final[-1]["status"] == "completed" and final[-1]["images"]


async def test_official_sdk_drives_the_emulator(server: tuple[Any, str], emu: Any) -> None:
    sdk = higgsfield_client.AsyncClient(base_url=server[1], api_key=SANDBOX_KEY)
    public_url = await sdk.upload(RED, "image/png")
    emu.faults.add("server_error", on="submit", status=503)  # the SDK retries the submit
    controller = await sdk.submit(
        "/v1/image2video/dop",
        {
            "model": "dop-lite",
            "prompt": "slow push in",
            "input_images": [{"type": "image_url", "image_url": public_url}],
        },
    )
    result = await controller.get()
    assert result["status"] == "completed" and result["video"]["url"]
    assert emu.tasks.submissions["total"] == 1
    assert isinstance(await controller.status(), higgsfield_client.Completed)
    emu.tasks.queue_seconds = 30
    queued = await sdk.submit("/v1/text2image/soul", {"prompt": "a cat"})
    await queued.cancel()
    assert isinstance(await queued.status(), higgsfield_client.Cancelled)
    bad = higgsfield_client.AsyncClient(base_url=server[1], api_key="x:y")
    with pytest.raises(higgsfield_client.HiggsfieldClientError):
        await bad.submit("/v1/text2image/soul", {"prompt": "a cat"})
    info = video_info((await fetch(result["video"]["url"])).content)
    assert mean_rgb(info.frames[0])[0] > 150


def test_registered_as_plugin_and_emulator() -> None:
    assert (
        load_registry(plugin_manager(load_entry_points=False)).get("higgsfield")
        is HiggsfieldProvider
    )
    assert registry.load("higgsfield").sandbox_credential == SANDBOX_CREDENTIAL
