"""Storyboard sheets: a grid of panels with captions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media.storyboard import storyboard
from tests.media_helpers import make_image, make_video


def test_grid_layout_and_captions(tmp_path: Path) -> None:
    colours = ["red", "green", "blue", "yellow", "white"]
    images = [make_image(tmp_path / f"{c}.png", 160, 90, c) for c in colours]
    out = storyboard(
        images, tmp_path / "board.png", captions=["Wide shot", "Close-up"], cell_width=160, gap=10
    )
    sheet = np.asarray(Image.open(out).convert("RGB"))
    # 5 panels → 3 columns × 2 rows; cells 160×90 plus a caption band.
    assert sheet.shape[1] == 3 * 160 + 4 * 10
    caption_band = (sheet.shape[0] - 3 * 10) // 2 - 90
    assert caption_band > 0
    # Panel 2 (top middle) is green, panel 4 (bottom left) yellow.
    assert tuple(sheet[10 + 45, 10 + 160 + 10 + 80]) == pytest.approx((0, 128, 0), abs=3)
    row2 = 10 + 90 + caption_band + 10
    assert tuple(sheet[row2 + 45, 10 + 80]) == pytest.approx((255, 255, 0), abs=3)
    # Caption text is drawn: light pixels in the band under panel 1.
    band = sheet[10 + 90 : 10 + 90 + caption_band, 10 : 10 + 160]
    assert (band.mean(axis=2) > 150).sum() > 20


def test_videos_contribute_their_first_frame_and_columns(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=0.5, size="64x48", audio=False)
    out = storyboard(
        [clip, clip], tmp_path / "b.jpg", columns=1, cell_width=64, gap=0, number=False
    )
    with Image.open(out) as img:
        assert img.format == "JPEG"
        assert img.size == (64, 96)


def test_limits(tmp_path: Path) -> None:
    with pytest.raises(ReelForgeError) as err:
        storyboard([], tmp_path / "b.png")
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    with pytest.raises(ReelForgeError) as err:
        storyboard([make_image(tmp_path / "i.png")], tmp_path / "b.png", cell_width=10)
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert not (tmp_path / "b.png").exists()
