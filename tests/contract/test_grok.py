"""xAI Grok adapter against its emulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import av
import httpx
import openai
import pytest
from PIL import Image
from starlette.applications import Starlette

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.grok import SANDBOX_CREDENTIAL, create_app
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.grok import GrokProvider
from reelforge.providers.polling import generate, poll_until_complete
from tests.helpers import png_bytes, serve_asgi

CRED = Credential("grok", SANDBOX_CREDENTIAL, "sandbox")
BAD_KEY = "xai-this-key-is-wrong-0123456789"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Starlette, str]]:
    config = EmulatorConfig(queue_seconds=0.1, run_seconds=0.4, image_run_seconds=0.0)
    app = create_app(config)
    with serve_asgi(app) as url:
        yield app, url


@pytest.fixture
def emu(served: tuple[Starlette, str]) -> EmulatorState:
    state: EmulatorState = served[0].state.emulator
    state.reset()
    return state


@pytest.fixture
async def provider(
    served: tuple[Starlette, str], emu: EmulatorState
) -> AsyncIterator[GrokProvider]:
    async with httpx.AsyncClient(timeout=10) as client:
        # The documented base ends in /v1; the adapter accepts it as well as the host.
        yield GrokProvider(client, base_url=f"{served[1]}/v1")


def _data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


async def _download(url: str) -> bytes:
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.content


def _video_info(data: bytes) -> tuple[int, int, float, list[Any]]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return stream.width, stream.height, float(container.duration or 0) / 1e6, frames


async def _generate(provider: GrokProvider, request: GenerationRequest, **kw: Any) -> Any:
    return await generate(provider, request, CRED, interval=0.05, timeout=15, **kw)


async def test_image_generation_returns_real_jpegs(
    provider: GrokProvider, emu: EmulatorState
) -> None:
    request = GenerationRequest(
        model="grok-2-image", mode=Mode.T2I, prompt="a cat in a tree", params={"n": 2}
    )
    result = await _generate(provider, request)
    assert [o.media_type for o in result.outputs] == [MediaKind.IMAGE, MediaKind.IMAGE]
    images = [Image.open(io.BytesIO(await _download(o.url))) for o in result.outputs]
    assert [img.format for img in images] == ["JPEG", "JPEG"]
    assert images[0].tobytes() != images[1].tobytes()
    assert result.task.meta["revised_prompts"][0]
    assert emu.tasks.submissions["total"] == 1


async def test_image_edit_uses_the_input_image(provider: GrokProvider, emu: EmulatorState) -> None:
    source = png_bytes(64, 64, (10, 200, 10))
    request = GenerationRequest(
        model="grok-imagine-image",
        mode=Mode.I2I,
        prompt="make it autumn",
        params={"aspect_ratio": "1:1"},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=_data_uri(source))],
    )
    result = await _generate(provider, request)
    edited = Image.open(io.BytesIO(await _download(result.url))).convert("RGB")
    assert edited.size == (240, 240)
    r, g, b = edited.resize((1, 1)).getpixel((0, 0))
    assert g > r and g > b, "the edit keeps the green source showing through"
    assert emu.tasks.submissions["images.edits"] == 1


async def test_grok_2_image_cannot_edit_and_bad_fields_are_named(provider: GrokProvider) -> None:
    edit = GenerationRequest(
        model="grok-2-image",
        mode=Mode.I2I,
        prompt="x",
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=_data_uri(png_bytes()))],
    )
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(edit, CRED)
    assert info.value.code is ErrorCode.VALIDATION_ERROR
    too_many = GenerationRequest(model="grok-2-image", mode=Mode.T2I, prompt="x", params={"n": 11})
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(too_many, CRED)
    assert info.value.code is ErrorCode.VALIDATION_ERROR
    assert info.value.detail["field"] == "n"
    unknown = GenerationRequest(model="grok-9-image", mode=Mode.T2I, prompt="x")
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(unknown, CRED)
    assert info.value.code is ErrorCode.VALIDATION_ERROR
    assert info.value.detail["field"] == "model"


async def test_text_to_video_is_deferred_and_reports_cost(
    provider: GrokProvider, emu: EmulatorState
) -> None:
    seen: list[TaskUpdate] = []
    request = GenerationRequest(
        model="grok-imagine-video",
        mode=Mode.T2V,
        prompt="a rocket launching from Mars",
        params={"duration": 3, "aspect_ratio": "9:16", "resolution": "480p"},
    )
    result = await _generate(provider, request, on_update=seen.append)
    statuses = [u.status for u in seen]
    assert statuses[0] is TaskStatus.QUEUED and TaskStatus.RUNNING in statuses
    assert statuses[-1] is TaskStatus.SUCCEEDED
    assert result.outputs[0].duration_seconds == 3
    # 3 s at 5e8 ticks/s, one tick = 1e-10 USD → $0.15.
    assert result.cost_micros == 150_000
    width, height, seconds, frames = _video_info(await _download(result.url))
    assert (width, height) == (180, 320)
    assert abs(seconds - 3) < 0.3
    assert (frames[0] != frames[-1]).any()
    assert emu.tasks.submissions["total"] == 1


async def test_image_to_video_animates_the_given_image(provider: GrokProvider) -> None:
    source = png_bytes(96, 64, (220, 20, 20))
    request = GenerationRequest(
        model="grok-imagine-video",
        mode=Mode.I2V,
        prompt="slow zoom",
        params={"duration": 2},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=_data_uri(source), slot="image")],
    )
    result = await _generate(provider, request)
    width, height, _seconds, frames = _video_info(await _download(result.url))
    assert (width, height) == (96, 64), "without an aspect ratio the video follows the image"
    red, green, _ = frames[0].reshape(-1, 3).mean(axis=0)
    assert red > 150 and green < 80


async def test_video_edit_keeps_the_source_video(provider: GrokProvider) -> None:
    first = await _generate(
        provider,
        GenerationRequest(
            model="grok-imagine-video", mode=Mode.T2V, prompt="a boat", params={"duration": 2}
        ),
    )
    edit = GenerationRequest(
        model="grok-imagine-video",
        mode=Mode.V2V,
        prompt="make it night",
        inputs=[InputMedia(kind=MediaKind.VIDEO, url=first.url)],
    )
    result = await _generate(provider, edit)
    width, height, seconds, _ = _video_info(await _download(result.url))
    assert (width, height) == (320, 180) and abs(seconds - 2) < 0.3


async def test_bad_key_is_auth_failed_without_leaking_it(provider: GrokProvider) -> None:
    bad = Credential("grok", {"api_key": BAD_KEY}, "stored")
    request = GenerationRequest(model="grok-2-image", mode=Mode.T2I, prompt="x")
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(request, bad)
    assert info.value.code is ErrorCode.AUTH_FAILED
    assert BAD_KEY not in repr(info.value.to_dict()) and BAD_KEY not in str(info.value)
    with pytest.raises(ReelForgeError) as info:
        await provider.verify(bad)
    assert info.value.code is ErrorCode.AUTH_FAILED
    assert await provider.verify(CRED)


async def test_out_of_credit_is_insufficient_funds(
    provider: GrokProvider, emu: EmulatorState
) -> None:
    emu.faults.add("insufficient_credit", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(
            GenerationRequest(model="grok-imagine-video", mode=Mode.T2V, prompt="x"), CRED
        )
    assert info.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT
    assert emu.tasks.submissions["total"] == 0


async def test_rate_limit_carries_retry_after(provider: GrokProvider, emu: EmulatorState) -> None:
    emu.faults.add("rate_limit", on="submit", seconds=3)
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(
            GenerationRequest(model="grok-2-image", mode=Mode.T2I, prompt="x"), CRED
        )
    assert info.value.code is ErrorCode.RATE_LIMITED and info.value.retryable
    assert info.value.retry_after == 3


async def test_server_errors_while_polling_are_waited_out(
    provider: GrokProvider, emu: EmulatorState
) -> None:
    emu.faults.add("server_error", on="poll", times=2, status=503)
    emu.faults.add("malformed", on="poll", times=1)
    request = GenerationRequest(
        model="grok-imagine-video", mode=Mode.T2V, prompt="x", params={"duration": 1}
    )
    result = await _generate(provider, request)
    assert result.outputs
    assert emu.tasks.submissions["total"] == 1, "exactly one submission despite poll errors"
    assert emu.requests["poll"] >= 4


async def test_moderation_is_safety_filter(provider: GrokProvider, emu: EmulatorState) -> None:
    emu.faults.add("moderation", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(
            GenerationRequest(model="grok-2-image", mode=Mode.T2I, prompt="x"), CRED
        )
    assert info.value.code is ErrorCode.SAFETY_FILTER and not info.value.retryable
    # A video finishes as "done" with respect_moderation false: still a refusal.
    emu.faults.add("moderation", on="submit")
    request = GenerationRequest(model="grok-imagine-video", mode=Mode.T2V, prompt="x")
    with pytest.raises(ReelForgeError) as info:
        await _generate(provider, request)
    assert info.value.code is ErrorCode.SAFETY_FILTER


async def test_failed_video_is_provider_error(provider: GrokProvider, emu: EmulatorState) -> None:
    emu.faults.add("fail", on="submit", message="GPU fell over")
    task = await provider.submit(
        GenerationRequest(model="grok-imagine-video", mode=Mode.T2V, prompt="x"), CRED
    )
    update = await poll_until_complete(
        lambda: provider.poll(task, CRED), task_id=task.task_id, interval=0.05, timeout=10
    )
    assert update.status is TaskStatus.FAILED
    assert update.error is not None and update.error["code"] == "PROVIDER_ERROR"
    assert "GPU fell over" in update.error["message"]


async def test_timeout_then_resume_by_task_id(provider: GrokProvider, emu: EmulatorState) -> None:
    request = GenerationRequest(
        model="grok-imagine-video", mode=Mode.T2V, prompt="x", params={"duration": 1}
    )
    task = await provider.submit(request, CRED)
    with pytest.raises(ReelForgeError) as info:
        await poll_until_complete(
            lambda: provider.poll(task, CRED), task_id=task.task_id, interval=0.02, timeout=0.05
        )
    assert info.value.code is ErrorCode.ENGINE_TIMEOUT
    assert info.value.detail["task_id"] == task.task_id
    stored = type(task).model_validate_json(task.model_dump_json())
    result = await _generate(provider, request, task=stored)
    assert result.outputs and emu.tasks.submissions["total"] == 1


async def test_expired_result_url_answers_403(provider: GrokProvider, emu: EmulatorState) -> None:
    result = await _generate(
        provider, GenerationRequest(model="grok-2-image", mode=Mode.T2I, prompt="x")
    )
    emu.faults.add("expired_output", on="files")
    async with httpx.AsyncClient() as client:
        response = await client.get(result.url)
    assert response.status_code == 403


async def test_the_openai_sdk_drives_the_image_endpoint(served: tuple[Starlette, str]) -> None:
    client = openai.AsyncOpenAI(
        api_key=SANDBOX_CREDENTIAL["api_key"], base_url=f"{served[1]}/v1", max_retries=0
    )
    async with client:
        response = await client.images.generate(
            model="grok-2-image", prompt="a lighthouse", n=1, response_format="url"
        )
        assert response.data and response.data[0].url
        image = Image.open(io.BytesIO(await _download(response.data[0].url)))
        assert image.format == "JPEG"
        inline = await client.images.generate(
            model="grok-imagine-image", prompt="a lighthouse", response_format="b64_json"
        )
        assert inline.data and inline.data[0].b64_json
        Image.open(io.BytesIO(base64.b64decode(inline.data[0].b64_json))).verify()
    wrong = openai.AsyncOpenAI(api_key=BAD_KEY, base_url=f"{served[1]}/v1", max_retries=0)
    async with wrong:
        # xAI rejects a wrong key with 400, which the SDK raises as BadRequestError.
        with pytest.raises(openai.BadRequestError):
            await wrong.images.generate(model="grok-2-image", prompt="x")
