"""fal adapter against the fal emulator over real HTTP on 127.0.0.1 (and fal-client too)."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator, Iterator

import av
import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.fal import SANDBOX_CREDENTIAL, create_app
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.fal import FalProvider
from reelforge.providers.polling import generate, poll_until_complete
from tests.helpers import png_bytes, serve_asgi

KEY = Credential("fal", SANDBOX_CREDENTIAL, "sandbox")


@pytest.fixture
def emulator() -> Iterator[tuple[EmulatorState, str]]:
    app = create_app(EmulatorConfig(queue_seconds=0.15, run_seconds=0.4, image_run_seconds=0.2))
    with serve_asgi(app) as url:
        yield app.state.emulator, url


@pytest.fixture
async def fal(emulator: tuple[EmulatorState, str]) -> AsyncIterator[FalProvider]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield FalProvider(client, base_url=emulator[1])


def _t2i(prompt: str = "a red fox in snow", **params: object) -> GenerationRequest:
    return GenerationRequest(
        model="fal-ai/flux/dev", mode=Mode.T2I, prompt=prompt, seed=7, params=params
    )


def _data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


async def test_text_to_image_returns_a_real_image(fal: FalProvider) -> None:
    result = await generate(fal, _t2i(image_size="landscape_16_9"), KEY, interval=0.05)
    out = result.outputs[0]
    assert out.media_type is MediaKind.IMAGE and out.content_type == "image/jpeg"
    content = (await fal.client.get(out.url)).content
    img = Image.open(io.BytesIO(content))
    assert img.format == "JPEG" and (img.width, img.height) == (out.width, out.height)
    assert img.width > img.height  # 16:9


async def test_image_to_video_animates_a_previous_output_and_reports_queue_and_logs(
    fal: FalProvider,
) -> None:
    still = (await generate(fal, _t2i(), KEY, interval=0.05)).url
    updates: list[TaskUpdate] = []
    request = GenerationRequest(
        model="fal-ai/minimax/hailuo-02/standard/image-to-video",
        mode=Mode.I2V,
        prompt="the fox runs",
        params={"duration": "6"},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=still, slot="image")],
    )
    result = await generate(fal, request, KEY, interval=0.05, on_update=updates.append)
    messages = [u.message or "" for u in updates]
    assert any(m.startswith("queue position") for m in messages)
    assert any("Generating" in m for m in messages), messages
    assert any(u.status is TaskStatus.RUNNING and u.progress for u in updates)
    video = (await fal.client.get(result.url)).content
    with av.open(io.BytesIO(video)) as container:
        assert abs(float(container.duration) / 1e6 - 6.0) < 0.3
        frames = [f.to_ndarray() for f in container.decode(video=0)]
    assert (frames[0] != frames[-1]).any()


async def test_text_to_video_wan_and_upscaler(fal: FalProvider) -> None:
    wan = GenerationRequest(
        model="fal-ai/wan-t2v",
        mode=Mode.T2V,
        prompt="waves",
        params={"num_frames": 32, "frames_per_second": 16, "aspect_ratio": "9:16"},
    )
    video = await generate(fal, wan, KEY, interval=0.05)
    with av.open(io.BytesIO((await fal.client.get(video.url)).content)) as container:
        stream = container.streams.video[0]
        assert stream.height > stream.width
        assert abs(float(container.duration) / 1e6 - 2.0) < 0.3
    up = GenerationRequest(
        model="fal-ai/esrgan",
        mode=Mode.UPSCALE,
        params={"scale": 2},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=_data_uri(png_bytes(40, 30)))],
    )
    result = await generate(fal, up, KEY, interval=0.05)
    img = Image.open(io.BytesIO((await fal.client.get(result.url)).content))
    assert img.size == (80, 60) == (result.outputs[0].width, result.outputs[0].height)


async def test_bad_key_and_out_of_credit(
    fal: FalProvider, emulator: tuple[EmulatorState, str]
) -> None:
    with pytest.raises(ReelForgeError) as bad:
        await fal.submit(_t2i(), Credential("fal", {"api_key": "nope"}, "stored"))
    assert bad.value.code is ErrorCode.AUTH_FAILED
    assert "nope" not in str(bad.value.to_dict())
    with pytest.raises(ReelForgeError) as bad_verify:
        await fal.verify(Credential("fal", {"api_key": "nope"}, "stored"))
    assert bad_verify.value.code is ErrorCode.AUTH_FAILED
    assert await fal.verify(KEY)
    emulator[0].faults.add("insufficient_credit", on="submit")
    with pytest.raises(ReelForgeError) as broke:
        await fal.submit(_t2i(), KEY)
    assert broke.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT
    assert emulator[0].tasks.submissions["total"] == 0


async def test_rate_limit_and_server_errors_are_waited_out_with_one_submission(
    fal: FalProvider, emulator: tuple[EmulatorState, str]
) -> None:
    state = emulator[0]
    state.faults.add("rate_limit", on="submit", seconds=3)
    with pytest.raises(ReelForgeError) as limited:
        await fal.submit(_t2i(), KEY)
    assert limited.value.code is ErrorCode.RATE_LIMITED and limited.value.retry_after == 3
    state.faults.add("server_error", on="submit", status=503)
    with pytest.raises(ReelForgeError) as down:
        await fal.submit(_t2i(), KEY)
    assert down.value.code is ErrorCode.PROVIDER_ERROR and down.value.retryable
    state.faults.add("server_error", on="poll", status=502)
    state.faults.add("rate_limit", on="poll", seconds=1)
    result = await generate(fal, _t2i(), KEY, interval=0.05)
    assert result.outputs and state.tasks.submissions["total"] == 1


async def test_moderation_becomes_safety_filter(
    fal: FalProvider, emulator: tuple[EmulatorState, str]
) -> None:
    emulator[0].faults.add("moderation", on="submit")
    with pytest.raises(ReelForgeError) as flux:
        await generate(fal, _t2i(), KEY, interval=0.05)
    assert flux.value.code is ErrorCode.SAFETY_FILTER and not flux.value.retryable
    emulator[0].faults.add("moderation", on="submit")
    t2v = GenerationRequest(
        model="fal-ai/minimax/hailuo-02/standard/text-to-video", mode=Mode.T2V, prompt="x"
    )
    with pytest.raises(ReelForgeError) as video:
        await generate(fal, t2v, KEY, interval=0.05)
    assert video.value.code is ErrorCode.SAFETY_FILTER


async def test_missing_field_and_failed_run(
    fal: FalProvider, emulator: tuple[EmulatorState, str]
) -> None:
    request = GenerationRequest(model="fal-ai/wan-i2v", mode=Mode.I2V, prompt="no image given")
    with pytest.raises(ReelForgeError) as invalid:
        await generate(fal, request, KEY, interval=0.05)
    assert invalid.value.code is ErrorCode.VALIDATION_ERROR
    assert invalid.value.detail["field"] == "image_url"
    emulator[0].faults.add("fail", on="submit")
    with pytest.raises(ReelForgeError) as failed:
        await generate(fal, _t2i(), KEY, interval=0.05)
    assert failed.value.code is ErrorCode.PROVIDER_ERROR
    with pytest.raises(ReelForgeError) as unknown:
        await fal.submit(_t2i().model_copy(update={"model": "fal-ai/nope/x"}), KEY)
    assert unknown.value.code is ErrorCode.NOT_FOUND


async def test_timeout_then_resume_by_task_id(
    fal: FalProvider, emulator: tuple[EmulatorState, str]
) -> None:
    task = await fal.submit(_t2i(), KEY)
    with pytest.raises(ReelForgeError) as timed_out:
        await poll_until_complete(
            lambda: fal.poll(task, KEY), task_id=task.task_id, interval=0.02, timeout=0.05
        )
    assert timed_out.value.code is ErrorCode.ENGINE_TIMEOUT
    assert timed_out.value.detail["task_id"] == task.task_id
    stored = ProviderTask.model_validate_json(task.model_dump_json())
    result = await generate(fal, _t2i(), KEY, task=stored, interval=0.05)
    assert result.outputs and emulator[0].tasks.submissions["total"] == 1


async def test_expired_output_url_answers_403(
    fal: FalProvider, emulator: tuple[EmulatorState, str]
) -> None:
    result = await generate(fal, _t2i(), KEY, interval=0.05)
    emulator[0].faults.add("expired_output", on="files")
    assert (await fal.client.get(result.url)).status_code == 403


async def test_cancel_a_queued_request(fal: FalProvider) -> None:
    request = GenerationRequest(
        model="fal-ai/minimax/hailuo-02/standard/text-to-video", mode=Mode.T2V, prompt="x"
    )
    task = await fal.submit(request, KEY)
    assert await fal.cancel(task, KEY)
    update = await fal.poll(task, KEY)
    assert update.status is TaskStatus.CANCELED
    assert not await fal.cancel(task, KEY)  # ALREADY_COMPLETED


async def test_official_fal_client_drives_the_emulator(
    emulator: tuple[EmulatorState, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import fal_client
    from fal_client import client as fal_module

    # fal-client builds https URLs from hosts read at import; point its queue at us.
    monkeypatch.setattr(fal_module, "QUEUE_URL_FORMAT", emulator[1] + "/")
    sdk = fal_client.AsyncClient(key=SANDBOX_CREDENTIAL["api_key"])
    events: list[object] = []
    result = await sdk.subscribe(
        "fal-ai/flux/schnell",
        {"prompt": "a lighthouse", "image_size": "square", "num_images": 2},
        with_logs=True,
        interval=0.05,
        on_queue_update=events.append,
    )
    assert len(result["images"]) == 2 and result["has_nsfw_concepts"] == [False, False]
    assert {type(e).__name__ for e in events} >= {"InProgress", "Completed"}
    async with httpx.AsyncClient() as client:
        img = Image.open(io.BytesIO((await client.get(result["images"][0]["url"])).content))
    assert img.size == (result["images"][0]["width"], result["images"][0]["height"])
    handle = await sdk.submit("fal-ai/minimax/hailuo-02/standard/text-to-video", {"prompt": "slow"})
    status = await sdk.status(
        "fal-ai/minimax/hailuo-02/standard/text-to-video", handle.request_id, with_logs=True
    )
    assert type(status).__name__ in ("Queued", "InProgress")
    await handle.cancel()
    with pytest.raises(fal_client.client.FalClientHTTPError) as denied:
        await fal_client.AsyncClient(key="wrong").submit("fal-ai/flux/dev", {"prompt": "x"})
    assert denied.value.status_code == 401


async def test_webhook_receives_the_result(fal: FalProvider) -> None:
    received: list[dict[str, object]] = []

    async def hook(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=200)

    with serve_asgi(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as hook_url:
        request = _t2i().model_copy(update={"callback_url": f"{hook_url}/hook"})
        task = await fal.submit(request, KEY)
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.05)
    assert received and received[0]["request_id"] == task.task_id
    assert received[0]["status"] == "OK"
    payload = received[0]["payload"]
    assert isinstance(payload, dict) and payload["images"]
