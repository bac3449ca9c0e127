"""Sync Labs adapter against the Sync emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Iterator

import av
import httpx
import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.base.render import render_audio, render_video
from reelforge.emulators.sync import SANDBOX_CREDENTIAL, create_app
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    InputMedia,
    ProviderTask,
    TaskStatus,
)
from reelforge.providers.polling import generate, poll_until_complete
from reelforge.providers.sync import SyncProvider
from tests.helpers import serve_asgi

KEY = Credential("sync", SANDBOX_CREDENTIAL, "sandbox")
VIDEO = render_video("a talking head", 5, duration=3.0, aspect_ratio="1:1")
AUDIO = render_audio("one two three four five", duration=2.0)


@pytest.fixture(scope="module")
def media_host() -> Iterator[str]:
    """Where the inputs live, as URLs a provider would fetch."""
    app = Starlette(
        routes=[
            Route("/face.mp4", lambda _r: Response(VIDEO, media_type="video/mp4")),
            Route("/voice.wav", lambda _r: Response(AUDIO, media_type="audio/wav")),
        ]
    )
    with serve_asgi(app) as url:
        yield url


@pytest.fixture
def emulator() -> Iterator[tuple[EmulatorState, str]]:
    app = create_app(EmulatorConfig(queue_seconds=0.15, run_seconds=0.4))
    with serve_asgi(app) as url:
        yield app.state.emulator, url


@pytest.fixture
async def sync(emulator: tuple[EmulatorState, str]) -> AsyncIterator[SyncProvider]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield SyncProvider(client, base_url=emulator[1])


def _request(video: str, audio: str, **params: object) -> GenerationRequest:
    return GenerationRequest(
        model="lipsync-2",
        mode=Mode.LIPSYNC,
        params=params,
        inputs=[
            InputMedia(kind=MediaKind.VIDEO, url=video, slot="video"),
            InputMedia(kind=MediaKind.AUDIO, url=audio, slot="audio"),
        ],
    )


def _by_url(host: str, **params: object) -> GenerationRequest:
    return _request(f"{host}/face.mp4", f"{host}/voice.wav", **params)


def _probe(data: bytes) -> tuple[list[str], float, np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        kinds = [s.type for s in container.streams]
        duration = float(container.duration) / 1e6
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    return kinds, duration, first


async def test_lipsync_keeps_the_video_frames_and_muxes_the_audio(
    sync: SyncProvider, media_host: str
) -> None:
    result = await generate(sync, _by_url(media_host), KEY, interval=0.05)
    out = result.outputs[0]
    assert out.media_type is MediaKind.VIDEO and out.duration_seconds == pytest.approx(2.0, abs=0.1)
    kinds, duration, first = _probe((await sync.client.get(out.url)).content)
    assert kinds == ["video", "audio"] and abs(duration - 2.0) < 0.25  # cut_off: the shorter
    _, _, source_first = _probe(VIDEO)
    assert first.shape == source_first.shape
    assert np.abs(first.astype(int) - source_first.astype(int)).mean() < 8


async def test_uploaded_bytes_go_multipart_and_loop_follows_the_audio(sync: SyncProvider) -> None:
    long_audio = render_audio("a much longer line of speech for the loop", duration=4.0)
    request = _request(
        "data:video/mp4;base64," + base64.b64encode(VIDEO).decode(),
        "data:audio/wav;base64," + base64.b64encode(long_audio).decode(),
        sync_mode="loop",
    )
    result = await generate(sync, request, KEY, interval=0.05)
    kinds, duration, _ = _probe((await sync.client.get(result.url)).content)
    assert kinds == ["video", "audio"] and abs(duration - 4.0) < 0.25


async def test_auth_credit_and_validation(
    sync: SyncProvider, emulator: tuple[EmulatorState, str], media_host: str
) -> None:
    wrong = Credential("sync", {"api_key": "sk-wrong"}, "stored")
    for call in (sync.submit(_by_url(media_host), wrong), sync.verify(wrong)):
        with pytest.raises(ReelForgeError) as bad:
            await call
        assert bad.value.code is ErrorCode.AUTH_FAILED and "sk-wrong" not in str(bad.value)
    assert await sync.verify(KEY)
    emulator[0].faults.add("insufficient_credit", on="submit")
    with pytest.raises(ReelForgeError) as broke:
        await sync.submit(_by_url(media_host), KEY)
    assert broke.value.code is ErrorCode.PROVIDER_OUT_OF_CREDIT
    with pytest.raises(ReelForgeError) as invalid:
        await sync.submit(_by_url(media_host, sync_mode="sideways"), KEY)
    assert invalid.value.code is ErrorCode.VALIDATION_ERROR
    assert "sync_mode" in invalid.value.message
    no_audio = _by_url(media_host).model_copy(update={"inputs": _by_url(media_host).inputs[:1]})
    with pytest.raises(ReelForgeError) as missing:
        await sync.submit(no_audio, KEY)
    assert missing.value.detail["field"] == "audio"
    assert emulator[0].tasks.submissions["total"] == 0


async def test_rate_limit_5xx_and_moderation(
    sync: SyncProvider, emulator: tuple[EmulatorState, str], media_host: str
) -> None:
    state = emulator[0]
    state.faults.add("rate_limit", on="submit", seconds=2)
    with pytest.raises(ReelForgeError) as limited:
        await sync.submit(_by_url(media_host), KEY)
    assert limited.value.code is ErrorCode.RATE_LIMITED and limited.value.retry_after == 2
    state.faults.add("server_error", on="poll", status=500)
    assert (await generate(sync, _by_url(media_host), KEY, interval=0.05)).outputs
    assert state.tasks.submissions["total"] == 1
    state.faults.add("moderation", on="submit")
    with pytest.raises(ReelForgeError) as rejected:
        await generate(sync, _by_url(media_host), KEY, interval=0.05)
    assert rejected.value.code is ErrorCode.SAFETY_FILTER and not rejected.value.retryable
    state.faults.add("fail", on="submit")
    with pytest.raises(ReelForgeError) as failed:
        await generate(sync, _by_url(media_host), KEY, interval=0.05)
    assert failed.value.code is ErrorCode.PROVIDER_ERROR


async def test_timeout_resume_and_expired_url(
    sync: SyncProvider, emulator: tuple[EmulatorState, str], media_host: str
) -> None:
    task = await sync.submit(_by_url(media_host), KEY)
    with pytest.raises(ReelForgeError) as timed_out:
        await poll_until_complete(
            lambda: sync.poll(task, KEY), task_id=task.task_id, interval=0.02, timeout=0.05
        )
    assert timed_out.value.code is ErrorCode.ENGINE_TIMEOUT
    assert timed_out.value.detail["task_id"] == task.task_id
    stored = ProviderTask.model_validate_json(task.model_dump_json())
    result = await generate(sync, _by_url(media_host), KEY, task=stored, interval=0.05)
    assert emulator[0].tasks.submissions["total"] == 1
    emulator[0].faults.add("expired_output", on="files")
    assert (await sync.client.get(result.url)).status_code == 403
    listed = await sync.client.get(
        f"{emulator[1]}/v2/generations",
        params={"ids": task.task_id},
        headers={"x-api-key": SANDBOX_CREDENTIAL["api_key"]},
    )
    assert [g["status"] for g in listed.json()] == ["COMPLETED"]
    update = await sync.poll(stored, KEY)
    assert update.status is TaskStatus.SUCCEEDED
