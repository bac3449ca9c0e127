"""Denoise, deflicker and frame interpolation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media import restore
from reelforge.media.probe import probe
from tests.media_helpers import all_frames, frame_count, make_image, make_video


async def test_denoise_image_reduces_noise(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    noisy = np.clip(128 + rng.normal(0, 12, (96, 128, 3)), 0, 255).astype(np.uint8)
    src = tmp_path / "n.png"
    Image.fromarray(noisy).save(src)
    out = await restore.denoise(src, tmp_path / "d.png", strength="strong")
    cleaned = np.asarray(Image.open(out).convert("RGB")).astype(float)
    assert cleaned.std() < noisy.astype(float).std() * 0.7


async def test_denoise_video_keeps_frames(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=1.0, extra=("-vf", "noise=alls=30:allf=t"))
    out = await restore.denoise(clip, tmp_path / "d.mp4", strength="medium")
    assert frame_count(out) == frame_count(clip)
    before = np.diff(np.stack(all_frames(clip)).astype(float), axis=0).std()
    after = np.diff(np.stack(all_frames(out)).astype(float), axis=0).std()
    assert after < before


async def test_deflicker_evens_brightness(tmp_path: Path) -> None:
    flicker = "geq=lum='128+40*mod(N,2)':cb=128:cr=128"
    clip = make_video(tmp_path / "f.mp4", seconds=1.0, audio=False, extra=("-vf", flicker))
    out = await restore.deflicker(clip, tmp_path / "d.mp4", window=4)
    means_in = [f.mean() for f in all_frames(clip)]
    means_out = [f.mean() for f in all_frames(out)]
    assert np.std(means_out[4:]) < np.std(means_in[4:]) * 0.5


async def test_interpolate_doubles_the_frame_rate(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=1.0, fps=12, size="64x48", audio=False)
    out = await restore.interpolate(clip, tmp_path / "i.mp4", fps=24, mode="blend")
    info = probe(out)
    assert info.fps == 24.0
    # New frames between each pair of source frames (the last source frame ends it).
    assert 2 * frame_count(clip) - 3 <= frame_count(out) <= 2 * frame_count(clip)
    mci = await restore.interpolate(clip, tmp_path / "m.mp4", fps=24, mode="mci")
    assert probe(mci).fps == 24.0


async def test_video_only_passes_refuse_images(tmp_path: Path) -> None:
    image = make_image(tmp_path / "i.png")
    for call in (
        restore.deflicker(image, tmp_path / "o.mp4"),
        restore.interpolate(image, tmp_path / "o.mp4"),
    ):
        with pytest.raises(ReelForgeError) as err:
            await call
        assert err.value.code is ErrorCode.UNSUPPORTED_MEDIA
