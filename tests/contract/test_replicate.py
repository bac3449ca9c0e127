"""Replicate adapter against the Replicate emulator over real HTTP (and the replicate SDK)."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator, Iterator

import av
import httpx
import pytest
import replicate
from PIL import Image
from replicate.exceptions import ReplicateError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.replicate import SANDBOX_CREDENTIAL, create_app
from reelforge.emulators.replicate.models import REAL_ESRGAN_VERSION
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.polling import generate, poll_until_complete
from reelforge.providers.replicate import ReplicateProvider
from tests.helpers import png_bytes, serve_asgi

KEY = Credential("replicate", SANDBOX_CREDENTIAL, "sandbox")
TOKEN = SANDBOX_CREDENTIAL["api_token"]


@pytest.fixture
def emulator() -> Iterator[tuple[EmulatorState, str]]:
    app = create_app(EmulatorConfig(queue_seconds=0.15, run_seconds=0.4, image_run_seconds=0.2))
    with serve_asgi(app) as url:
        yield app.state.emulator, url


@pytest.fixture
async def rep(emulator: tuple[EmulatorState, str]) -> AsyncIterator[ReplicateProvider]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield ReplicateProvider(client, base_url=emulator[1])


def _schnell(prompt: str = "a red fox", **params: object) -> GenerationRequest:
    return GenerationRequest(
        model="black-forest-labs/flux-schnell", mode=Mode.T2I, prompt=prompt, seed=3, params=params
    )


def _video(prompt: str = "waves", **params: object) -> GenerationRequest:
    return GenerationRequest(
        model="minimax/hailuo-02", mode=Mode.T2V, prompt=prompt, params={"duration": 6, **params}
    )


async def test_image_models_wait_and_the_first_poll_needs_no_request(
    rep: ReplicateProvider, emulator: tuple[EmulatorState, str]
) -> None:
    task = await rep.submit(_schnell(num_outputs=2, aspect_ratio="16:9"), KEY)
    assert task.in_hand is not None and task.in_hand.status is TaskStatus.SUCCEEDED
    polls_before = emulator[0].requests.get("poll", 0)
    update = await rep.poll(task, KEY)
    assert emulator[0].requests.get("poll", 0) == polls_before
    assert update.status is TaskStatus.SUCCEEDED and len(update.outputs) == 2
    assert all(o.media_type is MediaKind.IMAGE for o in update.outputs)
    img = Image.open(io.BytesIO((await rep.client.get(update.outputs[0].url)).content))
    assert img.format == "WEBP" and img.width > img.height
    assert not await rep.cancel(task, KEY)


async def test_image_to_video_polls_with_progress_from_logs(rep: ReplicateProvider) -> None:
    still = "data:image/png;base64," + base64.b64encode(png_bytes(64, 48)).decode()
    request = GenerationRequest(
        model="minimax/hailuo-02",
        mode=Mode.I2V,
        prompt="the fox turns",
        params={"duration": 6},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=still, slot="first_frame_image")],
    )
    updates: list[TaskUpdate] = []
    result = await generate(rep, request, KEY, interval=0.05, on_update=updates.append)
    assert TaskStatus.QUEUED in {u.status for u in updates}
    assert any(u.status is TaskStatus.RUNNING and u.progress for u in updates)
    assert result.outputs[0].media_type is MediaKind.VIDEO
    with av.open(io.BytesIO((await rep.client.get(result.url)).content)) as container:
        assert abs(float(container.duration) / 1e6 - 6.0) < 0.3
        stream = container.streams.video[0]
        assert stream.width / stream.height == pytest.approx(64 / 48, rel=0.1)


async def test_create_by_version_upscales(rep: ReplicateProvider) -> None:
    request = GenerationRequest(
        model=f"nightmareai/real-esrgan:{REAL_ESRGAN_VERSION}",
        mode=Mode.UPSCALE,
        params={"scale": 2},
        inputs=[
            InputMedia(
                kind=MediaKind.IMAGE,
                url="data:image/png;base64," + base64.b64encode(png_bytes(30, 20)).decode(),
                slot="image",
            )
        ],
    )
    result = await generate(rep, request, KEY, interval=0.05)
    img = Image.open(io.BytesIO((await rep.client.get(result.url)).content))
    assert img.size == (60, 40)
    with pytest.raises(ReelForgeError) as community:
        await rep.submit(request.model_copy(update={"model": "nightmareai/real-esrgan"}), KEY)
    assert community.value.code is ErrorCode.NOT_FOUND


async def test_auth_credit_and_validation_errors(
    rep: ReplicateProvider, emulator: tuple[EmulatorState, str]
) -> None:
    wrong = Credential("replicate", {"api_token": "r8_wrong"}, "stored")
    for call in (rep.submit(_schnell(), wrong), rep.verify(wrong)):
        with pytest.raises(ReelForgeError) as bad:
            await call
        assert bad.value.code is ErrorCode.AUTH_FAILED and "r8_wrong" not in str(bad.value)
    assert await rep.verify(KEY)
    emulator[0].faults.add("insufficient_credit", on="submit")
    with pytest.raises(ReelForgeError) as broke:
        await rep.submit(_schnell(), KEY)
    assert broke.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT
    with pytest.raises(ReelForgeError) as invalid:
        await rep.submit(_schnell(prompt=""), KEY)
    assert invalid.value.code is ErrorCode.VALIDATION_ERROR
    assert invalid.value.detail["field"] == "prompt"
    assert emulator[0].tasks.submissions["total"] == 0


async def test_rate_limit_and_5xx(
    rep: ReplicateProvider, emulator: tuple[EmulatorState, str]
) -> None:
    state = emulator[0]
    state.faults.add("rate_limit", on="submit", seconds=4)
    with pytest.raises(ReelForgeError) as limited:
        await rep.submit(_video(), KEY)
    assert limited.value.code is ErrorCode.RATE_LIMITED and limited.value.retry_after == 4
    state.faults.add("server_error", on="poll", status=503, times=2)
    result = await generate(rep, _video(), KEY, interval=0.05)
    assert result.outputs and state.tasks.submissions["total"] == 1


async def test_moderation_and_failed_prediction(
    rep: ReplicateProvider, emulator: tuple[EmulatorState, str]
) -> None:
    emulator[0].faults.add("moderation", on="submit")
    with pytest.raises(ReelForgeError) as refused:
        await generate(rep, _schnell(), KEY, interval=0.05)
    assert refused.value.code is ErrorCode.SAFETY_FILTER and not refused.value.retryable
    emulator[0].faults.add("fail", on="submit")
    with pytest.raises(ReelForgeError) as failed:
        await generate(rep, _video(), KEY, interval=0.05)
    assert failed.value.code is ErrorCode.PROVIDER_ERROR


async def test_timeout_then_resume_and_expired_url(
    rep: ReplicateProvider, emulator: tuple[EmulatorState, str]
) -> None:
    task = await rep.submit(_video(), KEY)
    with pytest.raises(ReelForgeError) as timed_out:
        await poll_until_complete(
            lambda: rep.poll(task, KEY), task_id=task.task_id, interval=0.02, timeout=0.05
        )
    assert timed_out.value.code is ErrorCode.ENGINE_TIMEOUT
    assert timed_out.value.detail["task_id"] == task.task_id
    stored = ProviderTask.model_validate_json(task.model_dump_json())
    result = await generate(rep, _video(), KEY, task=stored, interval=0.05)
    assert emulator[0].tasks.submissions["total"] == 1
    emulator[0].faults.add("expired_output", on="files")
    assert (await rep.client.get(result.url)).status_code == 403


async def test_cancel_and_webhook(rep: ReplicateProvider) -> None:
    received: list[dict[str, object]] = []

    async def hook(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=204)

    task = await rep.submit(_video(), KEY)
    assert await rep.cancel(task, KEY)
    assert (await rep.poll(task, KEY)).status is TaskStatus.CANCELED
    with serve_asgi(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as hook_url:
        request = _video().model_copy(update={"callback_url": f"{hook_url}/hook"})
        await generate(rep, request, KEY, interval=0.05)
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.05)
    assert received and received[0]["status"] == "succeeded"


def test_official_replicate_sdk_drives_the_emulator(
    emulator: tuple[EmulatorState, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "0.05")
    client = replicate.Client(api_token=TOKEN, base_url=emulator[1])
    output = client.run(
        "black-forest-labs/flux-schnell", input={"prompt": "a lighthouse", "num_outputs": 1}
    )
    assert isinstance(output, list) and len(output) == 1
    assert httpx.get(str(output[0])).content[:4] == b"RIFF"
    upscaled = client.run(
        f"nightmareai/real-esrgan:{REAL_ESRGAN_VERSION}",
        input={
            "image": "data:image/png;base64," + base64.b64encode(png_bytes(8, 8)).decode(),
            "scale": 2,
        },
    )
    assert Image.open(io.BytesIO(httpx.get(str(upscaled)).content)).size == (16, 16)
    prediction = client.models.predictions.create(
        model="minimax/hailuo-02", input={"prompt": "slow", "duration": 6}
    )
    assert prediction.status == "starting"
    prediction.cancel()
    assert prediction.status == "canceled"
    with pytest.raises(ReplicateError) as invalid:
        client.predictions.create(version=REAL_ESRGAN_VERSION, input={})
    assert invalid.value.status == 422 and invalid.value.title == "Input validation failed"
    with pytest.raises(ReplicateError) as denied:
        replicate.Client(api_token="r8_wrong", base_url=emulator[1]).predictions.get(prediction.id)
    assert denied.value.status == 401
