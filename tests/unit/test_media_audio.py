"""Audio: loudness normalisation lands on target; muxing puts sound under the picture."""

from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np
import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media import audio
from reelforge.media.probe import probe
from tests.media_helpers import leftovers, make_image, make_tone, make_video


def _samples(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        chunks = [f.to_ndarray().astype(float).ravel() for f in container.decode(audio=0)]
    return np.concatenate(chunks)


async def test_normalize_quiet_audio_to_target(tmp_path: Path) -> None:
    quiet = make_tone(tmp_path / "q.wav", seconds=4.0, volume=0.02)
    before = await audio.measure_loudness(quiet)
    assert before.integrated < -35
    out = await audio.normalize_loudness(quiet, tmp_path / "n.wav", target=-16.0)
    after = await audio.measure_loudness(out)
    assert after.integrated == pytest.approx(-16.0, abs=1.0)
    assert after.true_peak <= -1.0
    info = probe(out)
    assert info.sample_rate == 48000 and info.duration == pytest.approx(4.0, abs=0.05)


async def test_normalize_video_keeps_picture(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=3.0)
    out = await audio.normalize_loudness(clip, tmp_path / "n.mp4", target=-23.0)
    info = probe(out)
    assert info.kind.value == "video" and info.has_audio
    assert (await audio.measure_loudness(out)).integrated == pytest.approx(-23.0, abs=1.0)


async def test_silence_cannot_be_normalised(tmp_path: Path) -> None:
    silent = make_tone(tmp_path / "s.wav", volume=0.0)
    with pytest.raises(ReelForgeError) as err:
        await audio.normalize_loudness(silent, tmp_path / "n.wav")
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert not (tmp_path / "n.wav").exists()


async def test_mux_pads_a_short_track_to_the_video(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", seconds=3.0, audio=False)
    track = make_tone(tmp_path / "t.wav", seconds=1.0, freq=660)
    out = await audio.mux_audio(video, track, tmp_path / "o.mp4", normalize=False)
    info = probe(out)
    assert info.has_audio and info.audio_codec == "aac"
    assert info.duration == pytest.approx(3.0, abs=0.1)
    samples = _samples(out)
    rate = 48000
    assert np.abs(samples[: rate // 2]).max() > 0.08  # the tone (lavfi sine peaks at 1/8)
    assert np.abs(samples[int(2 * rate) :]).max() < 0.01  # silence after it


async def test_mux_cuts_a_long_track_and_normalises(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", seconds=2.0, audio=False)
    track = make_tone(tmp_path / "t.wav", seconds=6.0, volume=0.05)
    out = await audio.mux_audio(video, track, tmp_path / "o.mp4", normalize=True, target=-16.0)
    info = probe(out)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    loud = await audio.measure_loudness(out)
    assert loud.integrated == pytest.approx(-16.0, abs=1.5)
    assert leftovers(tmp_path) == []


async def test_mux_mix_keeps_both(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", seconds=2.0)  # has a 440 Hz tone
    track = make_tone(tmp_path / "t.wav", seconds=2.0, freq=1000)
    out = await audio.mux_audio(video, track, tmp_path / "o.mp4", mode="mix", normalize=False)
    samples = _samples(out)[:48000]
    spectrum = np.abs(np.fft.rfft(samples))
    freqs = np.fft.rfftfreq(len(samples), 1 / 48000)
    peak = lambda f: spectrum[np.argmin(np.abs(freqs - f))]  # noqa: E731
    assert peak(440) > spectrum.mean() * 20 and peak(1000) > spectrum.mean() * 20


async def test_mux_refuses_wrong_inputs(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", seconds=1.0, audio=False)
    with pytest.raises(ReelForgeError) as err:
        await audio.mux_audio(video, make_image(tmp_path / "i.png"), tmp_path / "o.mp4")
    assert err.value.code is ErrorCode.UNSUPPORTED_MEDIA
    with pytest.raises(ReelForgeError) as err:
        await audio.mux_audio(video, video, tmp_path / "o.mp4")  # a video with no sound
    assert err.value.code is ErrorCode.UNSUPPORTED_MEDIA
    assert not (tmp_path / "o.mp4").exists()
    assert math.isfinite(1.0)
