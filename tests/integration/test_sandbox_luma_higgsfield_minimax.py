"""Luma, Higgsfield and MiniMax in sandbox mode: with no key, the hub routes each to its
in-process emulator (ASGI transport, a host that does not resolve) and results say
sandbox. Inputs that point at the emulator's own files (a Higgsfield upload, a Luma video
to extend or remix) must work without any network."""

from __future__ import annotations

import pytest

from reelforge.container import Container
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base.render import render_audio
from reelforge.providers.base import GenerationRequest, GenerationResult, InputMedia
from reelforge.providers.hub import Connection
from reelforge.providers.polling import generate
from tests.contract.mediacheck import data_uri, mean_rgb, video_info
from tests.helpers import png_bytes

ENV_VARS = (
    "LUMA_API_KEY",
    "LUMAAI_API_KEY",
    "HIGGSFIELD_KEY_ID",
    "HIGGSFIELD_KEY_SECRET",
    "HF_API_KEY",
    "HF_API_SECRET",
    "MINIMAX_API_KEY",
)
RED = data_uri(png_bytes(64, 36, (220, 20, 20)), "image/png")


@pytest.fixture
def sandbox(container: Container, monkeypatch: pytest.MonkeyPatch) -> Container:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    return container


async def run(
    container: Container, name: str, request: GenerationRequest
) -> tuple[bytes, GenerationResult]:
    resolved = await container.hub.resolve(name, None)
    assert resolved.connection is Connection.SANDBOX
    result = await generate(
        resolved.provider, request, resolved.credential, interval=0.2, timeout=30
    )
    assert result.sandbox
    data = (await resolved.provider.client.get(result.url)).content
    return data, result


async def test_higgsfield_uploads_and_speaks_in_sandbox(sandbox: Container) -> None:
    dop = GenerationRequest(
        model="dop-turbo",
        mode=Mode.I2V,
        prompt="orbit",
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=RED)],
    )
    data, _ = await run(sandbox, "higgsfield", dop)
    assert mean_rgb(video_info(data).frames[0])[0] > 150
    speak = GenerationRequest(
        model="speak-v2",
        mode=Mode.AVATAR,
        inputs=[
            InputMedia(kind=MediaKind.IMAGE, url=RED),
            InputMedia(kind=MediaKind.AUDIO, url=data_uri(render_audio("hi there"), "audio/wav")),
        ],
    )
    data, _ = await run(sandbox, "higgsfield", speak)
    assert video_info(data).has_audio


async def test_luma_extend_and_remix_its_own_outputs_in_sandbox(sandbox: Container) -> None:
    t2v = GenerationRequest(
        model="ray-2", mode=Mode.T2V, prompt="a red fox", params={"duration": 5}
    )
    _, first = await run(sandbox, "luma", t2v)
    extend = t2v.model_copy(update={"params": {"extend_generation_id": first.task.task_id}})
    data, _ = await run(sandbox, "luma", extend)
    assert video_info(data).frames
    remix = GenerationRequest(
        model="ray-flash-2",
        mode=Mode.V2V,
        prompt="as a watercolor",
        inputs=[InputMedia(kind=MediaKind.VIDEO, url=first.url)],
    )
    data, _ = await run(sandbox, "luma", remix)
    assert abs(video_info(data).duration - 5.0) < 0.3


async def test_minimax_image_to_video_in_sandbox(sandbox: Container) -> None:
    request = GenerationRequest(
        model="MiniMax-Hailuo-2.3",
        mode=Mode.I2V,
        prompt="the card flips",
        params={"duration": 6, "resolution": "768P"},
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=RED)],
    )
    data, _ = await run(sandbox, "minimax", request)
    info = video_info(data)
    assert abs(info.duration - 6.0) < 0.3 and mean_rgb(info.frames[0])[0] > 150
