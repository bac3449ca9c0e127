"""Timeline: fit a clip to a duration (trim / loop / hold / slow) and concatenate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media import timeline
from reelforge.media.probe import probe
from tests.media_helpers import all_frames, leftovers, make_image, make_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("tl") / "c.mp4", seconds=2.0, fps=10, size="64x48")


@pytest.mark.parametrize("strategy", ["hold_last_frame", "loop", "slow_motion"])
async def test_extend_reaches_the_duration(tmp_path: Path, clip: Path, strategy: str) -> None:
    out = await timeline.fit_duration(clip, tmp_path / "o.mp4", duration=5.0, strategy=strategy)
    info = probe(out)
    assert info.duration == pytest.approx(5.0, abs=0.15)
    assert info.has_audio
    frames = all_frames(out)
    assert len(frames) == pytest.approx(50, abs=1)
    source = all_frames(clip)
    if strategy == "hold_last_frame":
        # Everything after the clip ends is its last frame (allowing encoder noise).
        tail = np.stack(frames[25:]).astype(float)
        assert np.abs(tail - tail[0]).max() < 12
        assert np.abs(tail[0] - source[-1].astype(float)).mean() < 4
    elif strategy == "loop":
        # The clip starts again after 2 s.
        assert np.abs(frames[20].astype(float) - source[0].astype(float)).mean() < 4


async def test_trim_a_longer_clip(tmp_path: Path, clip: Path) -> None:
    out = await timeline.fit_duration(clip, tmp_path / "o.mp4", duration=1.2)
    assert probe(out).duration == pytest.approx(1.2, abs=0.12)
    assert len(all_frames(out)) == 12


async def test_invalid_duration_and_input(tmp_path: Path, clip: Path) -> None:
    with pytest.raises(ReelForgeError) as err:
        await timeline.fit_duration(clip, tmp_path / "o.mp4", duration=0)
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    with pytest.raises(ReelForgeError) as err:
        await timeline.fit_duration(make_image(tmp_path / "i.png"), tmp_path / "o.mp4", duration=3)
    assert err.value.code is ErrorCode.UNSUPPORTED_MEDIA
    with pytest.raises(ReelForgeError) as err:
        await timeline.fit_duration(clip, tmp_path / "o.mp4", duration=3, strategy="bounce")
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert not (tmp_path / "o.mp4").exists()


async def test_concat_same_codecs_copies(tmp_path: Path, clip: Path) -> None:
    out = await timeline.concat([clip, clip, clip], tmp_path / "o.mp4")
    info = probe(out)
    assert info.duration == pytest.approx(6.0, abs=0.15)
    assert len(all_frames(out)) == 60
    assert leftovers(tmp_path) == []  # the list file is gone


async def test_concat_different_codecs_reencodes(tmp_path: Path, clip: Path) -> None:
    other = make_video(
        tmp_path / "m.mkv", seconds=1.0, fps=25, size="128x72", codec="mpeg4", audio=False
    )
    out = await timeline.concat([clip, other], tmp_path / "o.mp4")
    info = probe(out)
    assert (info.codec, info.width, info.height, info.fps) == ("h264", 64, 48, 10.0)
    assert info.has_audio  # the silent clip got silence, the toned one kept its tone
    assert info.duration == pytest.approx(3.0, abs=0.2)


async def test_concat_needs_two(tmp_path: Path, clip: Path) -> None:
    with pytest.raises(ReelForgeError) as err:
        await timeline.concat([clip], tmp_path / "o.mp4")
    assert err.value.code is ErrorCode.VALIDATION_ERROR
