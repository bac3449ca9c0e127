"""One small request per provider emulator, for tests that run every provider."""

from __future__ import annotations

import base64
import io

import av
from PIL import Image

from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base.render import render_audio, render_video
from reelforge.providers.base import GenerationRequest, InputMedia
from tests.helpers import png_bytes


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


def check_media(data: bytes, kind: MediaKind) -> None:
    """``data`` decodes as ``kind`` (an image opens and loads, a stream has a frame)."""
    if kind is MediaKind.IMAGE:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            assert img.width > 0 and img.height > 0
        return
    with av.open(io.BytesIO(data)) as container:
        streams = container.streams.video if kind is MediaKind.VIDEO else container.streams.audio
        assert len(streams) > 0
        assert next(container.decode(streams[0])) is not None


def output_bytes(url: str) -> bytes | None:
    """The bytes of a data: output (answers that carry the media), else None."""
    return base64.b64decode(url.partition(",")[2]) if url.startswith("data:") else None
