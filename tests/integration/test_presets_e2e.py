"""Every preset end to end in sandbox at every quality level (the three levels of a
preset run together), its media decoded; what the run records of what was asked."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.preset_helpers import (
    content,
    decode_image,
    decode_video,
    inputs_for,
    run_preset,
    uploads,
)

# The whole matrix takes over two minutes here: its four slowest presets (sandbox video
# providers that take seconds per task) are marked slow.
SLOW = pytest.mark.slow
PRESETS = [
    "photoreal_portrait_v1",
    "cinematic_portrait_v1",
    pytest.param("identity_lock_portrait_v1", marks=SLOW),
    pytest.param("image_to_video_v1", marks=SLOW),
    "talking_clip_v1",
    "video_identity_consistency_v1",
    "upscale_denoise_image_v1",
    "upscale_deflicker_video_v1",
    "color_grade_film_grain_v1",
    pytest.param("storyboard_builder_v1", marks=SLOW),
    pytest.param("ugc_clip_builder_v1", marks=SLOW),
]
IMAGE_PRESETS = {
    "photoreal_portrait_v1",
    "cinematic_portrait_v1",
    "identity_lock_portrait_v1",
    "upscale_denoise_image_v1",
}


async def _outputs(client: httpx.AsyncClient, run: dict[str, Any]) -> list[tuple[str, Any]]:
    """(media type, decoded facts) of every final output."""
    found = []
    for out in run["outputs"]:
        meta = (await client.get(f"/v1/artifacts/{out['artifact_id']}")).json()
        data = await content(client, out["artifact_id"])
        if meta["media_type"] == "image":
            found.append(("image", decode_image(data).size))
        else:
            assert meta["media_type"] == "video", meta
            frames, size, seconds = decode_video(data)
            assert frames > 0
            found.append(("video", (size, seconds)))
    return found


@pytest.mark.parametrize("preset", PRESETS)
async def test_preset_runs_at_every_quality_level(
    preset: str, run_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    media = await uploads(run_client, tmp_path)
    inputs = inputs_for(preset, media)
    runs = await asyncio.gather(
        *(run_preset(run_client, preset, inputs, q) for q in ("low", "standard", "pro"))
    )
    results: dict[str, list[tuple[str, Any]]] = {}
    for quality, run in zip(("low", "standard", "pro"), runs, strict=True):
        assert run["status"] == "succeeded", (
            quality,
            [(s["node_id"], s["error"]) for s in run["steps"]],
        )
        assert run["preset"] == preset and run["quality"] == quality
        assert run["consent_given"] is True and run["repair_of"] is None
        assert inputs.items() <= run["inputs"].items()  # defaults are recorded too
        assert run["cost_micros"] == 0  # sandbox and local steps cost nothing
        results[quality] = await _outputs(run_client, run)
        assert results[quality], run
        kinds = {kind for kind, _ in results[quality]}
        if preset in IMAGE_PRESETS:
            assert kinds == {"image"}
        elif preset == "storyboard_builder_v1":
            assert kinds == {"image", "video"}  # the sheet and the cut
        else:
            assert kinds == {"video"}
    # Quality levels change what is made, not only a label.
    steps = {
        q: [s["node_id"] for s in r["steps"]]
        for q, r in zip(("low", "standard", "pro"), runs, strict=True)
    }
    assert len(steps["low"]) <= len(steps["standard"]) <= len(steps["pro"])
    check = CHECKS.get(preset)
    if check:
        check(results, runs)


def _image_size(results: dict[str, list[tuple[str, Any]]], quality: str) -> tuple[int, int]:
    return next(v for k, v in results[quality] if k == "image")  # type: ignore[no-any-return]


def _video(
    results: dict[str, list[tuple[str, Any]]], quality: str
) -> tuple[tuple[int, int], float]:
    return next(v for k, v in results[quality] if k == "video")  # type: ignore[no-any-return]


def _photoreal(results: Any, runs: list[dict[str, Any]]) -> None:
    assert [s["node_id"] for s in runs[0]["steps"]] == ["portrait"]  # low: no post-processing
    low, pro = _image_size(results, "low"), _image_size(results, "pro")
    assert pro[0] == 2 * low[0] and pro[1] == 2 * low[1]  # pro: upscale 2x
    params = {r["quality"]: r for r in runs}
    assert params["low"]["steps"][0]["model"] == "comfyui/sdxl-txt2img"


def _image_to_video(results: Any, runs: list[dict[str, Any]]) -> None:
    for quality, seconds in (("low", 2.0), ("standard", 3.0), ("pro", 5.0)):
        _size, duration = _video(results, quality)
        assert abs(duration - seconds) < 0.3, (quality, duration)
    assert _video(results, "pro")[0][0] == 2 * _video(results, "standard")[0][0]


def _upscale_image(results: Any, runs: list[dict[str, Any]]) -> None:
    assert _image_size(results, "low") == (512, 640)  # 256x320 upload, 2x
    assert _image_size(results, "pro") == (1024, 1280)  # 4x


def _upscale_video(results: Any, runs: list[dict[str, Any]]) -> None:
    assert _video(results, "low")[0] == (320, 240)  # 160x120 upload, 2x
    assert _video(results, "pro")[0] == (640, 480)  # 4x


def _storyboard(results: Any, runs: list[dict[str, Any]]) -> None:
    for quality in ("low", "standard", "pro"):
        _size, duration = _video(results, quality)
        assert abs(duration - 4.0) < 0.4, duration  # 2 shots x 2 s


CHECKS = {
    "photoreal_portrait_v1": _photoreal,
    "image_to_video_v1": _image_to_video,
    "upscale_denoise_image_v1": _upscale_image,
    "upscale_deflicker_video_v1": _upscale_video,
    "storyboard_builder_v1": _storyboard,
}
