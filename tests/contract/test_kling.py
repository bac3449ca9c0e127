"""Kling adapter against its emulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

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
from reelforge.emulators.base.render import render_audio
from reelforge.emulators.kling import SANDBOX_CREDENTIAL, create_app
from reelforge.providers.base import Credential, GenerationRequest, InputMedia, TaskStatus
from reelforge.providers.kling import KlingProvider, make_token
from reelforge.providers.polling import generate, poll_until_complete
from tests.helpers import png_bytes, serve_asgi

CRED = Credential("kling", SANDBOX_CREDENTIAL, "sandbox")
WRONG_SECRET = "this-secret-is-wrong-0123456789abcdef"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Starlette, str]]:
    config = EmulatorConfig(queue_seconds=0.1, run_seconds=0.4, image_run_seconds=0.1)
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
) -> AsyncIterator[KlingProvider]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield KlingProvider(client, base_url=served[1])


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _striped_png(width: int, height: int) -> bytes:
    """Blue with white stripes: a zoom visibly changes it (a flat colour would not)."""
    image = Image.new("RGB", (width, height), (20, 20, 220))
    for x in range(0, width, 12):
        image.paste((255, 255, 255), (x, 0, x + 3, height))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


async def _download(url: str) -> bytes:
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.content


def _probe(data: bytes) -> dict[str, Any]:
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video)]
        return {
            "size": (video.width, video.height),
            "seconds": float(container.duration or 0) / 1e6,
            "streams": sorted(s.type for s in container.streams),
            "frames": frames,
        }


async def _generate(provider: KlingProvider, request: GenerationRequest, **kw: Any) -> Any:
    return await generate(provider, request, CRED, interval=0.05, timeout=20, **kw)


def t2v(**params: Any) -> GenerationRequest:
    return GenerationRequest(
        model="kling-v2-5-turbo",
        mode=Mode.T2V,
        prompt="a paper boat on a river",
        params={"duration": 5, "aspect_ratio": "9:16", **params},
    )


async def test_text_to_video(provider: KlingProvider, emu: EmulatorState) -> None:
    result = await _generate(provider, t2v(mode="std"))
    assert result.outputs[0].media_type is MediaKind.VIDEO
    assert result.outputs[0].duration_seconds == 5
    info = _probe(await _download(result.url))
    assert info["size"] == (180, 320) and abs(info["seconds"] - 5) < 0.3
    task = emu.tasks.get(result.task.task_id)
    assert task is not None and task.params["duration"] == 5 and task.op == "text2video"
    assert emu.tasks.submissions["total"] == 1


async def test_image_to_video_with_first_and_last_frame(provider: KlingProvider) -> None:
    first = _striped_png(120, 80)
    request = GenerationRequest(
        model="kling-v2-1",
        mode=Mode.I2V,
        prompt="she turns and smiles",
        params={"duration": "5", "mode": "pro"},
        inputs=[
            InputMedia(kind=MediaKind.IMAGE, url=_data_uri(first, "image/png"), slot="image"),
            InputMedia(
                kind=MediaKind.IMAGE, url=_data_uri(png_bytes(), "image/png"), slot="end_image"
            ),
        ],
    )
    result = await _generate(provider, request)
    info = _probe(await _download(result.url))
    assert info["size"] == (120, 80), "the video follows the input image"
    _, _, blue = info["frames"][0].reshape(-1, 3).mean(axis=0)
    assert blue > 120 and (info["frames"][0] != info["frames"][-1]).any()


async def test_image_generation(provider: KlingProvider) -> None:
    request = GenerationRequest(
        model="kling-v2-1",
        mode=Mode.T2I,
        prompt="a red fox",
        params={"n": 2, "aspect_ratio": "1:1"},
    )
    result = await _generate(provider, request)
    images = [Image.open(io.BytesIO(await _download(o.url))) for o in result.outputs]
    assert [i.size for i in images] == [(240, 240), (240, 240)]
    assert images[0].tobytes() != images[1].tobytes()


async def test_talking_avatar_speaks_the_audio(provider: KlingProvider) -> None:
    speech = render_audio("hello there this is a test of the avatar")
    request = GenerationRequest(
        model="avatar/image2video",
        mode=Mode.AVATAR,
        prompt="friendly, nodding",
        inputs=[
            InputMedia(kind=MediaKind.IMAGE, url=_data_uri(png_bytes(64, 64), "image/png")),
            InputMedia(kind=MediaKind.AUDIO, url=_data_uri(speech, "audio/wav")),
        ],
    )
    result = await _generate(provider, request)
    info = _probe(await _download(result.url))
    assert info["streams"] == ["audio", "video"]
    assert abs(info["seconds"] - 0.35 * 9) < 0.4, "the avatar lasts as long as the speech"


async def test_lip_sync_with_audio_and_with_text(
    provider: KlingProvider, emu: EmulatorState
) -> None:
    source = await _generate(provider, t2v())
    speech = render_audio("one two three four five six")
    with_audio = GenerationRequest(
        model="lip-sync",
        mode=Mode.LIPSYNC,
        inputs=[
            InputMedia(kind=MediaKind.VIDEO, url=source.url),
            InputMedia(kind=MediaKind.AUDIO, url=_data_uri(speech, "audio/wav")),
        ],
    )
    result = await _generate(provider, with_audio)
    info = _probe(await _download(result.url))
    assert info["streams"] == ["audio", "video"] and info["size"] == (180, 320)
    spoken = GenerationRequest(
        model="lip-sync",
        mode=Mode.LIPSYNC,
        prompt="Hello from the emulator",
        params={"voice_id": "genshin_vindi2", "voice_language": "en"},
        inputs=[InputMedia(kind=MediaKind.VIDEO, url=source.url)],
    )
    assert (await _generate(provider, spoken)).outputs
    assert emu.tasks.submissions["lip-sync"] == 2


async def test_balance_counts_down(provider: KlingProvider) -> None:
    before = await provider.balance(CRED)
    assert before.unit == "units" and before.amount == 1000
    await _generate(provider, t2v(mode="pro", duration=10))
    after = await provider.balance(CRED)
    assert after.amount == before.amount - 7
    assert await provider.verify(CRED)


async def test_bad_secret_is_auth_failed_without_leaking_it(provider: KlingProvider) -> None:
    bad = Credential(
        "kling", {"access_key": SANDBOX_CREDENTIAL["access_key"], "secret_key": WRONG_SECRET}, "env"
    )
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(t2v(), bad)
    assert info.value.code is ErrorCode.AUTH_FAILED
    assert info.value.detail["provider_code"] == 1000
    assert WRONG_SECRET not in repr(info.value.to_dict())


async def test_a_lagging_clock_gets_1004_and_one_fresh_token(served: tuple[Starlette, str]) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        late = KlingProvider(client, base_url=served[1], clock=lambda: time.time() - 3600)
        with pytest.raises(ReelForgeError) as info:
            await late.balance(CRED)
    assert info.value.code is ErrorCode.AUTH_FAILED
    assert info.value.detail["provider_code"] == 1004
    assert late.tokens.issued == 2, "an expired token is renewed once before giving up"


async def test_the_emulator_rejects_tokens_as_kling_does(served: tuple[Starlette, str]) -> None:
    ak, sk = SANDBOX_CREDENTIAL["access_key"], SANDBOX_CREDENTIAL["secret_key"]
    cases = {
        None: 1001,
        "Bearer garbage": 1002,
        f"Bearer {make_token(ak, sk, time.time() + 120)[0]}": 1003,
        f"Bearer {make_token(ak, sk, time.time() - 1900)[0]}": 1004,
        f"Bearer {make_token(ak, WRONG_SECRET, time.time())[0]}": 1000,
    }
    async with httpx.AsyncClient(base_url=served[1]) as client:
        for header, code in cases.items():
            headers = {"Authorization": header} if header else {}
            response = await client.get("/v1/videos/text2video/x", headers=headers)
            assert response.status_code == 401
            assert response.json()["code"] == code


async def test_out_of_credit_is_insufficient_funds(
    provider: KlingProvider, emu: EmulatorState
) -> None:
    emu.faults.add("insufficient_credit", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(t2v(), CRED)
    assert info.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT
    assert info.value.detail["status"] == 429 and info.value.detail["provider_code"] == 1102


async def test_rate_limit_carries_retry_after(provider: KlingProvider, emu: EmulatorState) -> None:
    emu.faults.add("rate_limit", on="submit", seconds=4)
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(t2v(), CRED)
    assert info.value.code is ErrorCode.RATE_LIMITED and info.value.retry_after == 4


async def test_error_codes_count_even_with_http_200(
    provider: KlingProvider, emu: EmulatorState
) -> None:
    task = await provider.submit(t2v(), CRED)
    emu.faults.add("server_error", on="poll", status=200)  # {"code": 5000} with HTTP 200
    with pytest.raises(ReelForgeError) as info:
        await provider.poll(task, CRED)
    assert info.value.code is ErrorCode.PROVIDER_ERROR and info.value.retryable
    assert info.value.detail["status"] == 200 and info.value.detail["provider_code"] == 5000


async def test_server_errors_then_success(provider: KlingProvider, emu: EmulatorState) -> None:
    emu.faults.add("server_error", on="poll", times=2, status=503)
    result = await _generate(provider, t2v())
    assert result.outputs and emu.tasks.submissions["total"] == 1
    assert emu.requests["poll"] >= 3


async def test_moderation_at_submit_and_after(provider: KlingProvider, emu: EmulatorState) -> None:
    emu.faults.add("moderation", on="submit")
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(t2v(), CRED)
    assert info.value.code is ErrorCode.SAFETY_FILTER and info.value.detail["provider_code"] == 1301
    emu.faults.add("moderation", on="poll")
    with pytest.raises(ReelForgeError) as info:
        await _generate(provider, t2v())
    assert info.value.code is ErrorCode.SAFETY_FILTER and not info.value.retryable


async def test_timeout_then_resume_by_task_id(provider: KlingProvider, emu: EmulatorState) -> None:
    task = await provider.submit(t2v(), CRED)
    with pytest.raises(ReelForgeError) as info:
        await poll_until_complete(
            lambda: provider.poll(task, CRED), task_id=task.task_id, interval=0.02, timeout=0.05
        )
    assert info.value.code is ErrorCode.ENGINE_TIMEOUT
    assert info.value.detail["task_id"] == task.task_id
    result = await _generate(provider, t2v(), task=task.model_copy())
    assert result.outputs and emu.tasks.submissions["total"] == 1


async def test_expired_result_url_answers_403(provider: KlingProvider, emu: EmulatorState) -> None:
    result = await _generate(provider, t2v())
    emu.faults.add("expired_output", on="files")
    async with httpx.AsyncClient() as client:
        assert (await client.get(result.url)).status_code == 403


async def test_repeated_submit_with_the_same_key_is_one_task(
    provider: KlingProvider, emu: EmulatorState
) -> None:
    request = t2v().model_copy(update={"idempotency_key": "step-42-attempt"})
    first = await provider.submit(request, CRED)
    again = await provider.submit(request, CRED)
    assert again.task_id == first.task_id
    assert emu.tasks.submissions["total"] == 1


async def test_bad_fields_are_named(provider: KlingProvider) -> None:
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(t2v(duration=7), CRED)
    assert (
        info.value.code is ErrorCode.VALIDATION_ERROR and info.value.detail["field"] == "duration"
    )
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(GenerationRequest(model="kling-v9", mode=Mode.T2V, prompt="x"), CRED)
    assert info.value.code is ErrorCode.VALIDATION_ERROR and info.value.detail["field"] == "model"
    no_image = GenerationRequest(model="kling-v2-1", mode=Mode.I2V, prompt="x")
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(no_image, CRED)
    assert info.value.detail["field"] == "image"


async def test_callback_receives_the_finished_task(provider: KlingProvider) -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=200)

    with serve_asgi(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as hook_url:
        request = t2v().model_copy(update={"callback_url": f"{hook_url}/hook"})
        task = await provider.submit(request, CRED)
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            await _sleep(0.05)
    assert received and received[0]["task_id"] == task.task_id
    assert received[0]["task_status"] == "succeed"
    assert received[0]["task_result"]["videos"][0]["url"]
    update = await provider.poll(task, CRED)
    assert update.status is TaskStatus.SUCCEEDED


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
