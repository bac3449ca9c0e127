"""Uploads and checks shared by the preset tests (media decoded, never trusted by name)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import httpx
from PIL import Image

from tests.integration.test_runs_api import wait_run
from tests.media_helpers import make_image, make_tone, make_video


async def upload(client: httpx.AsyncClient, path: Path) -> str:
    r = await client.post("/v1/uploads", files={"file": (path.name, path.read_bytes())})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def uploads(client: httpx.AsyncClient, folder: Path) -> dict[str, str]:
    """A face-sized image, a 2 s clip and a 1.5 s tone, uploaded."""
    return {
        "image": await upload(client, make_image(folder / "face.png", 256, 320, "tan")),
        "image2": await upload(client, make_image(folder / "face2.png", 256, 320, "wheat")),
        "video": await upload(client, make_video(folder / "clip.mp4", seconds=2.0, audio=False)),
        "audio": await upload(client, make_tone(folder / "line.wav", seconds=1.5, volume=0.3)),
    }


def inputs_for(preset_id: str, media: dict[str, str], run_id: str | None = None) -> dict[str, Any]:
    prompt = "a woman by a window at dusk"
    table: dict[str, dict[str, Any]] = {
        "photoreal_portrait_v1": {"prompt": prompt, "seed": 11},
        "cinematic_portrait_v1": {"prompt": prompt, "seed": 12},
        "identity_lock_portrait_v1": {
            "prompt": "the same woman in a red coat in the rain",
            "identity_reference": [media["image"], media["image2"]],
        },
        "image_to_video_v1": {"image": media["image"], "prompt": "slow push in, hair moves"},
        "talking_clip_v1": {"video": media["video"], "audio": media["audio"]},
        "video_identity_consistency_v1": {
            "video": media["video"],
            "identity_reference": [media["image"]],
        },
        "upscale_denoise_image_v1": {"image": media["image"]},
        "upscale_deflicker_video_v1": {"video": media["video"]},
        "color_grade_film_grain_v1": {"video": media["video"], "style": "warm"},
        "storyboard_builder_v1": {
            "prompt_template": "shot {shot_number}: a fox crossing a river",
            "shot_count": 2,
            "seed": 5,
        },
        "ugc_clip_builder_v1": {
            "product_image": media["image"],
            "prompt": "a coffee cup on a sunny kitchen table",
            "audio": media["audio"],
        },
    }
    return table[preset_id]


async def run_preset(
    client: httpx.AsyncClient,
    preset: str,
    inputs: dict[str, Any],
    quality: str,
    *,
    consent: bool = True,
    timeout: float = 240,
) -> dict[str, Any]:
    r = await client.post(
        "/v1/runs",
        json={"preset": preset, "inputs": inputs, "quality": quality, "consent_given": consent},
    )
    assert r.status_code == 202, r.text
    return await wait_run(client, r.json()["id"], timeout=timeout)


async def content(client: httpx.AsyncClient, artifact_id: str) -> bytes:
    r = await client.get(f"/v1/artifacts/{artifact_id}/content")
    assert r.status_code == 200, r.text
    return r.content


def decode_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes every pixel
    return image


def decode_video(data: bytes) -> tuple[int, tuple[int, int], float]:
    """(frames decoded, (width, height), duration in seconds)."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = 0
        size = (stream.codec_context.width, stream.codec_context.height)
        last = 0.0
        for frame in container.decode(stream):
            frames += 1
            if frame.time is not None:
                last = float(frame.time)
        rate = float(stream.average_rate or 30)
    return frames, size, last + 1.0 / rate
