"""Frames: the last frame really is the last frame of a full decode, cheaply found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media import frames
from tests.media_helpers import all_frames, ffmpeg, leftovers, make_image, make_video


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("gop12.mp4", {"gop": 12, "seconds": 2.0}),
        ("bframes.mp4", {"gop": 25, "bframes": True, "seconds": 2.0}),
        ("single_gop.mp4", {"seconds": 1.0}),
        (
            "vp9.webm",
            {
                "codec": "libvpx-vp9",
                "gop": 10,
                "seconds": 1.0,
                "extra": ("-deadline", "realtime", "-cpu-used", "8"),
            },
        ),
        ("mkv.mkv", {"gop": 7, "seconds": 1.5}),
    ],
)
def test_last_frame_equals_the_last_frame_of_a_full_decode(
    tmp_path: Path, name: str, kwargs: dict
) -> None:
    clip = make_video(tmp_path / name, **kwargs)
    decoded = all_frames(clip)
    out = frames.last_frame(clip, tmp_path / "last.png")
    got = np.asarray(Image.open(out).convert("RGB"))
    assert np.array_equal(got, decoded[-1])
    # testsrc2 changes every frame, so this is really the last one, not a neighbour.
    assert not np.array_equal(got, decoded[-2])
    assert leftovers(tmp_path) == []


def test_last_frame_decodes_only_the_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=3.0, gop=10, audio=False)
    seen: list[int] = []
    original = frames._latest

    def counting(decoded):  # type: ignore[no-untyped-def]
        def spy():  # type: ignore[no-untyped-def]
            for f in decoded:
                seen.append(f.pts)
                yield f

        return original(spy())

    monkeypatch.setattr(frames, "_latest", counting)
    frames.decode_last_frame(clip)
    assert 0 < len(seen) <= 10  # one GOP, not 90 frames


def test_first_frame_and_frame_at(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=2.0, fps=10, gop=5, audio=False)
    decoded = all_frames(clip)
    first = np.asarray(Image.open(frames.first_frame(clip, tmp_path / "f.png")))
    assert np.array_equal(first, decoded[0])
    at = np.asarray(Image.open(frames.frame_at(clip, tmp_path / "t.png", 1.05)))
    assert np.array_equal(at, decoded[10])  # the frame on screen at 1.05 s (10 fps)
    past = np.asarray(Image.open(frames.frame_at(clip, tmp_path / "p.png", 99.0)))
    assert np.array_equal(past, decoded[-1])


def test_image_where_a_video_is_required(tmp_path: Path) -> None:
    image = make_image(tmp_path / "i.png")
    with pytest.raises(ReelForgeError) as err:
        frames.last_frame(image, tmp_path / "out.png")
    assert err.value.code is ErrorCode.UNSUPPORTED_MEDIA
    assert err.value.detail["expected"] == ["video"]
    assert not (tmp_path / "out.png").exists()


def test_truncated_video_fails_cleanly(tmp_path: Path) -> None:
    clip = make_video(
        tmp_path / "c.mp4", seconds=2.0, audio=False, extra=("-movflags", "+faststart")
    )
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ReelForgeError) as err:
        frames.last_frame(cut, tmp_path / "out.png")
    assert err.value.code is ErrorCode.UNSUPPORTED_MEDIA
    assert not (tmp_path / "out.png").exists()
    assert leftovers(tmp_path) == []


def test_output_format_follows_suffix(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=1.0, audio=False)
    for suffix, fmt in ((".jpg", "JPEG"), (".webp", "WEBP"), (".png", "PNG")):
        out = frames.last_frame(clip, tmp_path / f"o{suffix}")
        with Image.open(out) as img:
            assert img.format == fmt
            assert img.size == (160, 120)


def test_rotated_video_frames_come_out_upright(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=0.5, size="64x48", audio=False)
    rotated = tmp_path / "r.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(clip), "-c", "copy", str(rotated))
    # What ffmpeg (and players) show: the picture turned upright, 48 wide and 64 high.
    ffmpeg("-sseof", "-0.2", "-i", str(rotated), "-update", "1", str(tmp_path / "cli.png"))
    ours = np.asarray(Image.open(frames.last_frame(rotated, tmp_path / "o.png")))
    assert ours.shape == (64, 48, 3)
    assert np.array_equal(ours, np.asarray(Image.open(tmp_path / "cli.png").convert("RGB")))
