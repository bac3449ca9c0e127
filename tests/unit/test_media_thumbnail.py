"""Gallery previews: small, decodable, upright, and from a good frame of a video."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media.thumbnail import good_frame, make_thumbnail
from tests.media_helpers import make_image, make_tone, make_video


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_image_thumbnail_is_a_small_webp_keeping_the_aspect(tmp_path: Path) -> None:
    src = make_image(tmp_path / "wide.png", width=1024, height=512, color="red")
    thumb = make_thumbnail(src)
    image = _decoded(thumb.data)
    assert image.format == "WEBP" and thumb.content_type == "image/webp"
    assert image.size == (256, 128) == (thumb.width, thumb.height)
    r, g, b = image.convert("RGB").getpixel((128, 64))  # type: ignore[misc]
    assert r > 200 and g < 60 and b < 60


def test_small_image_is_not_enlarged(tmp_path: Path) -> None:
    thumb = make_thumbnail(make_image(tmp_path / "s.png", width=64, height=48))
    assert (thumb.width, thumb.height) == (64, 48)


def test_video_thumbnail_skips_a_fade_in_from_black(tmp_path: Path) -> None:
    src = make_video(
        tmp_path / "fade.mp4",
        seconds=2.0,
        size="320x240",
        audio=False,
        extra=("-vf", "fade=in:0:20"),
    )
    thumb = make_thumbnail(src)
    pixels = np.asarray(_decoded(thumb.data).convert("RGB"))
    assert pixels.shape[:2] == (192, 256)
    assert good_frame(pixels), pixels.mean()  # not the black opening frame


def test_good_frame_refuses_black_white_and_flat() -> None:
    assert not good_frame(np.zeros((8, 8, 3), np.uint8))
    assert not good_frame(np.full((8, 8, 3), 255, np.uint8))
    assert not good_frame(np.full((8, 8, 3), 128, np.uint8))
    noise = np.random.default_rng(1).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    assert good_frame(noise)


def test_audio_and_damaged_files_have_no_preview(tmp_path: Path) -> None:
    with pytest.raises(ReelForgeError) as exc:
        make_thumbnail(make_tone(tmp_path / "a.wav", seconds=0.5))
    assert exc.value.code is ErrorCode.UNSUPPORTED_MEDIA
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(make_video(tmp_path / "v.mp4", audio=False).read_bytes()[:2000])
    with pytest.raises(ReelForgeError) as exc:
        make_thumbnail(bad)
    assert exc.value.code is ErrorCode.UNSUPPORTED_MEDIA
