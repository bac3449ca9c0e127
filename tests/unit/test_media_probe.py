"""Probe: real facts about media, and clear refusals of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media.probe import MediaLimits, probe
from tests.media_helpers import ffmpeg, make_image, make_tone, make_video, png_bomb


def test_video_facts(tmp_path: Path) -> None:
    info = probe(make_video(tmp_path / "c.mp4", seconds=2.0, size="160x120", fps=25))
    assert info.kind is MediaKind.VIDEO
    assert (info.codec, info.width, info.height) == ("h264", 160, 120)
    assert info.fps == 25.0
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert info.has_audio and info.audio_codec == "aac" and info.sample_rate == 48000
    assert info.content_type == "video/mp4"


def test_image_and_audio_facts(tmp_path: Path) -> None:
    image = probe(make_image(tmp_path / "i.png", 64, 48))
    assert (image.kind, image.width, image.height, image.duration) == (
        MediaKind.IMAGE,
        64,
        48,
        None,
    )
    tone = probe(make_tone(tmp_path / "t.wav", seconds=1.5))
    assert tone.kind is MediaKind.AUDIO and tone.has_audio
    assert tone.duration == pytest.approx(1.5, abs=0.02)
    silent = probe(make_video(tmp_path / "s.mp4", audio=False))
    assert not silent.has_audio


def _code(path: Path, **kw: object) -> ErrorCode:
    with pytest.raises(ReelForgeError) as err:
        probe(path, **kw)  # type: ignore[arg-type]
    return err.value.code


def test_missing_and_empty_files(tmp_path: Path) -> None:
    assert _code(tmp_path / "nope.mp4") is ErrorCode.FILE_NOT_FOUND
    (tmp_path / "zero.mp4").write_bytes(b"")
    assert _code(tmp_path / "zero.mp4") is ErrorCode.UNSUPPORTED_MEDIA


def test_corrupt_and_truncated(tmp_path: Path) -> None:
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 100)
    assert _code(tmp_path / "junk.mp4") is ErrorCode.UNSUPPORTED_MEDIA
    clip = make_video(tmp_path / "c.mp4", audio=False)  # moov at the end
    (tmp_path / "half.mp4").write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    assert _code(tmp_path / "half.mp4") is ErrorCode.UNSUPPORTED_MEDIA
    png = make_image(tmp_path / "i.png", 200, 200).read_bytes()
    (tmp_path / "cut.png").write_bytes(png[: len(png) // 2])
    assert _code(tmp_path / "cut.png") is ErrorCode.UNSUPPORTED_MEDIA


def test_unsupported_codec(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mkv", audio=False)
    data = clip.read_bytes()
    assert b"V_MPEG4/ISO/AVC" in data
    (tmp_path / "odd.mkv").write_bytes(data.replace(b"V_MPEG4/ISO/AVC", b"V_QQQQQ/ISO/AVC"))
    with pytest.raises(ReelForgeError) as err:
        probe(tmp_path / "odd.mkv")
    assert err.value.code is ErrorCode.UNSUPPORTED_MEDIA
    assert "codec" in err.value.message


def test_zero_length_video(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", audio=False, extra=("-frames:v", "0"))
    assert _code(clip) is ErrorCode.UNSUPPORTED_MEDIA


def test_decompression_bomb_refused_before_decoding(tmp_path: Path) -> None:
    bomb = png_bomb(tmp_path / "bomb.png")
    with pytest.raises(ReelForgeError) as err:
        probe(bomb)
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert "too large" in err.value.message
    # Below Pillow's own bomb threshold, our limit speaks, with the dimensions.
    with pytest.raises(ReelForgeError) as err:
        probe(png_bomb(tmp_path / "big.png", 12_000, 12_000))
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert err.value.detail["width"] == 12_000


def test_video_dimensions_limit(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", size="320x240", audio=False)
    tight = MediaLimits(video_max_side=200)
    with pytest.raises(ReelForgeError) as err:
        probe(clip, limits=tight)
    assert err.value.code is ErrorCode.VALIDATION_ERROR


def test_wrong_kind(tmp_path: Path) -> None:
    tone = make_tone(tmp_path / "t.wav")
    with pytest.raises(ReelForgeError) as err:
        probe(tone, expect=MediaKind.VIDEO)
    assert err.value.code is ErrorCode.UNSUPPORTED_MEDIA
    assert err.value.detail["got"] == "audio"


def test_rotated_video_reports_upright_size(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=0.5, size="64x48", audio=False)
    rotated = tmp_path / "r.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(clip), "-c", "copy", str(rotated))
    info = probe(rotated)
    assert (info.width, info.height, info.rotation) == (48, 64, 90)


def test_a_changed_file_is_described_afresh(tmp_path: Path) -> None:
    target = tmp_path / "x.mp4"
    make_video(target, seconds=0.5, size="64x48", audio=False)
    assert probe(target).width == 64
    make_video(tmp_path / "y.mp4", seconds=1.0, size="80x60", audio=False).replace(target)
    assert probe(target).width == 80
