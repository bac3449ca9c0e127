"""Runware adapter against the Runware emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import AsyncIterator, Iterator

import av
import httpx
import pytest
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.runware import SANDBOX_CREDENTIAL, create_app
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    ProviderTask,
    TaskStatus,
)
from reelforge.providers.polling import generate, poll_until_complete
from reelforge.providers.runware import RunwareProvider, task_uuid
from tests.helpers import png_bytes, serve_asgi

KEY = Credential("runware", SANDBOX_CREDENTIAL, "sandbox")


@pytest.fixture
def emulator() -> Iterator[tuple[EmulatorState, str]]:
    app = create_app(EmulatorConfig(queue_seconds=0.15, run_seconds=0.4, image_run_seconds=0.2))
    with serve_asgi(app) as url:
        yield app.state.emulator, url


@pytest.fixture
async def rw(emulator: tuple[EmulatorState, str]) -> AsyncIterator[RunwareProvider]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield RunwareProvider(client, base_url=emulator[1] + "/v1")


def _image(key: str | None = None, **params: object) -> GenerationRequest:
    return GenerationRequest(
        model="runware:100@1",
        mode=Mode.T2I,
        prompt="a red fox in snow",
        seed=11,
        params={"width": 1024, "height": 576, **params},
        idempotency_key=key,
    )


def _video(key: str | None = None, **params: object) -> GenerationRequest:
    return GenerationRequest(
        model="minimax:3@1",
        mode=Mode.T2V,
        prompt="waves at dusk",
        params={"duration": 6, "width": 1366, "height": 768, **params},
        idempotency_key=key,
    )


def test_task_uuid_is_deterministic_and_v4_shaped() -> None:
    first, again = task_uuid("step-1"), task_uuid("step-1")
    assert first == again != task_uuid("step-2")
    assert uuid.UUID(first).version == 4
    assert task_uuid(None) != task_uuid(None)


async def test_sync_image_carries_results_and_cost(
    rw: RunwareProvider, emulator: tuple[EmulatorState, str]
) -> None:
    task = await rw.submit(_image("img-1"), KEY)
    assert task.task_id == task_uuid("img-1") and task.in_hand is not None
    polls = emulator[0].requests.get("poll", 0)
    update = await rw.poll(task, KEY)
    assert emulator[0].requests.get("poll", 0) == polls
    assert update.status is TaskStatus.SUCCEEDED and update.cost_micros == 1300
    img = Image.open(io.BytesIO((await rw.client.get(update.outputs[0].url)).content))
    assert img.format == "PNG" and img.width > img.height


async def test_resubmission_with_the_same_key_is_the_same_task(
    rw: RunwareProvider, emulator: tuple[EmulatorState, str]
) -> None:
    first = await rw.submit(_video("step-42"), KEY)
    again = await rw.submit(_video("step-42"), KEY)  # e.g. after a crash in `submitting`
    assert first.task_id == again.task_id
    result = await generate(rw, _video("step-42"), KEY, task=again, interval=0.05)
    assert emulator[0].tasks.submissions["total"] == 1
    assert result.cost_micros == 140_000
    with av.open(io.BytesIO((await rw.client.get(result.url)).content)) as container:
        assert abs(float(container.duration) / 1e6 - 6.0) < 0.3
        assert container.streams.video[0].width > container.streams.video[0].height


async def test_image_to_video_and_upscale(rw: RunwareProvider) -> None:
    still = (await generate(rw, _image(), KEY, interval=0.05)).url
    request = GenerationRequest(
        model="minimax:3@1",
        mode=Mode.I2V,
        prompt="the fox runs",
        params={"duration": 2},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=still)],
    )
    video = await generate(rw, request, KEY, interval=0.05)
    with av.open(io.BytesIO((await rw.client.get(video.url)).content)) as container:
        frames = [f.to_ndarray() for f in container.decode(video=0)]
    assert len(frames) > 10 and (frames[0] != frames[-1]).any()
    data_uri = "data:image/png;base64," + base64.b64encode(png_bytes(50, 40)).decode()
    up = GenerationRequest(
        model="imageUpscale",
        mode=Mode.UPSCALE,
        params={"upscaleFactor": 3},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=data_uri)],
    )
    result = await generate(rw, up, KEY, interval=0.05)
    assert Image.open(io.BytesIO((await rw.client.get(result.url)).content)).size == (150, 120)


async def test_auth_credit_and_validation(
    rw: RunwareProvider, emulator: tuple[EmulatorState, str]
) -> None:
    wrong = Credential("runware", {"api_key": "not-a-key"}, "stored")
    for call in (rw.submit(_image(), wrong), rw.verify(wrong)):
        with pytest.raises(ReelForgeError) as bad:
            await call
        assert bad.value.code is ErrorCode.AUTH_FAILED and "not-a-key" not in str(bad.value)
    assert await rw.verify(KEY)
    emulator[0].faults.add("insufficient_credit", on="submit")
    with pytest.raises(ReelForgeError) as broke:
        await rw.submit(_image(), KEY)
    assert broke.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT
    with pytest.raises(ReelForgeError) as invalid:
        await rw.submit(_image(width=1000), KEY)
    assert invalid.value.code is ErrorCode.VALIDATION_ERROR
    assert invalid.value.detail["field"] == "width"
    assert emulator[0].tasks.submissions["total"] == 0
    unknown = ProviderTask(provider="runware", task_id=str(uuid.uuid4()), model="m", mode=Mode.T2V)
    missing = await rw.poll(unknown, KEY)
    assert missing.status is TaskStatus.FAILED and missing.error
    assert missing.error["code"] == "NOT_FOUND"


async def test_rate_limit_and_5xx(rw: RunwareProvider, emulator: tuple[EmulatorState, str]) -> None:
    state = emulator[0]
    state.faults.add("rate_limit", on="submit", seconds=5)
    with pytest.raises(ReelForgeError) as limited:
        await rw.submit(_video(), KEY)
    assert limited.value.code is ErrorCode.RATE_LIMITED and limited.value.retry_after == 5
    state.faults.add("server_error", on="poll", status=500)
    state.faults.add("malformed", on="poll")
    result = await generate(rw, _video(), KEY, interval=0.05)
    assert result.outputs and state.tasks.submissions["total"] == 1


async def test_moderation_and_failure(
    rw: RunwareProvider, emulator: tuple[EmulatorState, str]
) -> None:
    emulator[0].faults.add("moderation", on="submit")
    with pytest.raises(ReelForgeError) as image:
        await generate(rw, _image(), KEY, interval=0.05)
    assert image.value.code is ErrorCode.SAFETY_FILTER and not image.value.retryable
    emulator[0].faults.add("moderation", on="submit")
    with pytest.raises(ReelForgeError) as video:
        await generate(rw, _video(), KEY, interval=0.05)
    assert video.value.code is ErrorCode.SAFETY_FILTER
    emulator[0].faults.add("fail", on="submit")
    with pytest.raises(ReelForgeError) as failed:
        await generate(rw, _image(), KEY, interval=0.05)
    assert failed.value.code is ErrorCode.PROVIDER_ERROR


async def test_timeout_resume_and_expired_url(
    rw: RunwareProvider, emulator: tuple[EmulatorState, str]
) -> None:
    task = await rw.submit(_video("resume-me"), KEY)
    with pytest.raises(ReelForgeError) as timed_out:
        await poll_until_complete(
            lambda: rw.poll(task, KEY), task_id=task.task_id, interval=0.02, timeout=0.05
        )
    assert timed_out.value.code is ErrorCode.ENGINE_TIMEOUT
    assert timed_out.value.detail["task_id"] == task.task_id
    stored = ProviderTask.model_validate_json(task.model_dump_json())
    result = await generate(rw, _video("resume-me"), KEY, task=stored, interval=0.05)
    assert emulator[0].tasks.submissions["total"] == 1
    emulator[0].faults.add("expired_output", on="files")
    assert (await rw.client.get(result.url)).status_code == 403


async def test_raw_task_array_with_authentication_first(
    emulator: tuple[EmulatorState, str],
) -> None:
    body = [
        {"taskType": "authentication", "apiKey": SANDBOX_CREDENTIAL["api_key"]},
        {
            "taskType": "imageInference",
            "taskUUID": str(uuid.uuid4()),
            "positivePrompt": "a cat",
            "model": "runware:101@1",
            "width": 512,
            "height": 512,
            "numberResults": 2,
            "includeCost": True,
        },
        {
            "taskType": "imageInference",
            "taskUUID": "not-a-uuid",
            "positivePrompt": "x y",
            "model": "runware:101@1",
        },
    ]
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(emulator[1] + "/v1", json=body)
    payload = answer.json()
    assert answer.status_code == 200
    kinds = [item["taskType"] for item in payload["data"]]
    assert kinds == ["authentication", "imageInference", "imageInference"]
    assert payload["errors"][0]["parameter"] == "taskUUID"
