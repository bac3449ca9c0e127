"""Every provider through `reelforge emulate` (one app, a path prefix each), over real HTTP
on 127.0.0.1: the adapter with the emulator's sandbox credential submits, polls to the
result, and the output it names downloads as real media."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Iterator

import av
import httpx
import pytest
from PIL import Image

from reelforge.app import emulators_app
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators import registry
from reelforge.emulators.base.render import render_audio, render_video
from reelforge.providers.base import Credential, GenerationRequest, InputMedia
from reelforge.providers.plugins import load_registry
from reelforge.providers.polling import generate
from tests.helpers import free_port, png_bytes, serve_asgi


def _uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type};base64," + base64.b64encode(data).decode()


def _t2i(model: str, **params: object) -> GenerationRequest:
    return GenerationRequest(model=model, mode=Mode.T2I, prompt="a red fox", seed=5, params=params)


def _t2v(model: str, **params: object) -> GenerationRequest:
    return GenerationRequest(model=model, mode=Mode.T2V, prompt="waves", seed=5, params=params)


IMAGE = InputMedia(kind=MediaKind.IMAGE, url=_uri(png_bytes(64, 36), "image/png"), slot="image")

REQUESTS: dict[str, GenerationRequest] = {
    "grok": _t2i("grok-2-image"),
    "kling": _t2v("kling-v2-5-turbo", duration=5, aspect_ratio="16:9"),
    "runway": GenerationRequest(
        model="gen4_turbo",
        mode=Mode.I2V,
        prompt="slow dolly in",
        params={"ratio": "1280:720", "duration": 5},
        inputs=[IMAGE],
    ),
    "atlas": _t2i("google/imagen4"),
    "fal": _t2i("fal-ai/flux/dev"),
    "replicate": _t2i("black-forest-labs/flux-schnell"),
    "runware": _t2i("runware:100@1", width=1024, height=576),
    "sync": GenerationRequest(
        model="lipsync-2",
        mode=Mode.LIPSYNC,
        inputs=[
            InputMedia(
                kind=MediaKind.VIDEO,
                url=_uri(render_video("a face", duration=1.0), "video/mp4"),
                slot="video",
            ),
            InputMedia(
                kind=MediaKind.AUDIO,
                url=_uri(render_audio("hello there", duration=1.0), "audio/wav"),
                slot="audio",
            ),
        ],
    ),
    "together": _t2i("black-forest-labs/FLUX.1-schnell"),
    "pollinations": _t2i("flux"),
    "huggingface": _t2i("black-forest-labs/FLUX.1-schnell"),
    "comfyui": _t2i("sd15_txt2img"),
    "luma": _t2v("ray-2"),
    "higgsfield": _t2i("soul"),
    "minimax": _t2v("MiniMax-Hailuo-02"),
}


@pytest.fixture(scope="module")
def emulate() -> Iterator[dict[str, str]]:
    port = free_port()
    app, names = emulators_app(f"http://127.0.0.1:{port}")
    with serve_asgi(app, port) as url:
        yield {name: f"{url}/{name}" for name in names}


def test_every_emulator_has_a_request_here(emulate: dict[str, str]) -> None:
    assert set(REQUESTS) == set(emulate) == set(registry.names())


def _check_media(data: bytes, kind: MediaKind) -> None:
    if kind is MediaKind.IMAGE:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            assert img.width > 0 and img.height > 0
        return
    with av.open(io.BytesIO(data)) as container:
        streams = container.streams.video if kind is MediaKind.VIDEO else container.streams.audio
        assert len(streams) > 0
        frame = next(container.decode(streams[0]))
        assert frame is not None


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_provider_through_emulate_submit_to_result(
    emulate: dict[str, str], name: str
) -> None:
    cls = load_registry().get(name)
    assert cls is not None
    credential = Credential(name, registry.load(name).sandbox_credential, "env")
    async with httpx.AsyncClient(timeout=20) as client:
        provider = cls(client, emulate[name])
        result = await asyncio.wait_for(
            generate(provider, REQUESTS[name], credential, interval=0.05, timeout=20), 30
        )
        assert result.outputs
        for output in result.outputs:
            if output.url.startswith("data:"):  # the answer carried the bytes
                _check_media(base64.b64decode(output.url.partition(",")[2]), output.media_type)
                continue
            # Output URLs point back at the emulator under its own prefix, as handed out.
            assert output.url.startswith(emulate[name] + "/"), output.url
            response = await client.get(output.url)
            assert response.status_code == 200, (output.url, response.text[:200])
            _check_media(response.content, output.media_type)
