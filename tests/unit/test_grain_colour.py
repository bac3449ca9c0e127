"""Film grain is luma only: coarse grain (drawn small, scaled up and overlaid) keeps the
colour of the picture, on stills and on video (it once gave black-and-white results)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from reelforge.media import grade
from tests.media_helpers import all_frames, make_video


def _saturation(rgb: np.ndarray) -> float:
    rgb = rgb.astype(float)
    return float((rgb.max(axis=2) - rgb.min(axis=2)).mean())


async def test_coarse_grain_keeps_colour_on_a_still(tmp_path: Path) -> None:
    src = tmp_path / "red.png"
    Image.new("RGB", (96, 64), (200, 60, 40)).save(src)
    for size in (1.0, 2.5):
        out = await grade.film_grain(src, tmp_path / f"g{size}.png", amount=0.4, size=size)
        pixels = np.asarray(Image.open(out).convert("RGB"))
        assert _saturation(pixels) > 100, size  # the source's is 160
        assert pixels.astype(float).std() > 1  # and there is grain


async def test_coarse_grain_keeps_colour_on_video(tmp_path: Path) -> None:
    src = make_video(tmp_path / "c.mp4", seconds=0.5, audio=False)  # testsrc2: colourful
    out = await grade.film_grain(src, tmp_path / "g.mp4", amount=0.4, size=3.0)
    before, after = all_frames(src)[5], all_frames(out)[5]
    assert _saturation(after) > 0.8 * _saturation(before)
