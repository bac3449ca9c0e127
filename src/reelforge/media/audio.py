"""Sound: loudness measurement and EBU R128 normalisation (two-pass ``loudnorm``), and
muxing a track (narration, music) under a video."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media.encode import audio_output_args
from reelforge.media.files import atomic_output, scratch_dir
from reelforge.media.probe import MediaInfo, probe
from reelforge.media.runner import ProgressFn, run_ffmpeg
from reelforge.media.values import choice


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS
    true_peak: float  # dBTP
    lra: float  # LU
    threshold: float
    offset: float


def _parse_loudnorm(stderr: str) -> dict[str, str]:
    start, end = stderr.rfind("{"), stderr.rfind("}")
    if start < 0 or end < start:
        raise ReelForgeError(
            ErrorCode.INTERNAL_ERROR, "Loudness analysis gave no result.", retryable=False
        )
    data: dict[str, str] = json.loads(stderr[start : end + 1])
    return data


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return -math.inf


def _loudnorm_spec(target: float, true_peak: float, lra: float) -> str:
    return f"loudnorm=I={target:g}:TP={true_peak:g}:LRA={lra:g}"


async def measure_loudness(
    src: Path,
    *,
    target: float = -16.0,
    true_peak: float = -1.5,
    lra: float = 11.0,
    info: MediaInfo | None = None,
    timeout: float | None = None,
) -> Loudness:
    """EBU R128 integrated loudness, true peak and range of the first audio stream."""
    info = info or probe(src, expect=(MediaKind.AUDIO, MediaKind.VIDEO))
    if not info.has_audio and info.kind is not MediaKind.AUDIO:
        raise ReelForgeError(
            ErrorCode.UNSUPPORTED_MEDIA, "The file has no audio.", detail={"file": src.name}
        )
    result = await run_ffmpeg(
        [
            "-i", str(info.path), "-map", "0:a:0",
            "-af", f"{_loudnorm_spec(target, true_peak, lra)}:print_format=json",
            "-f", "null", "-",
        ],
        loglevel="info",
        timeout=timeout,
    )  # fmt: skip
    data = _parse_loudnorm(result.stderr)
    return Loudness(
        integrated=_number(data["input_i"]),
        true_peak=_number(data["input_tp"]),
        lra=_number(data["input_lra"]),
        threshold=_number(data["input_thresh"]),
        offset=_number(data.get("target_offset", "0")),
    )


async def normalize_loudness(
    src: Path,
    dst: Path,
    *,
    target: float = -16.0,
    true_peak: float = -1.5,
    lra: float = 11.0,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    """Two-pass loudnorm to ``target`` LUFS (linear gain when possible). Audio files
    keep their format (by ``dst`` suffix); a video keeps its picture untouched."""
    if not -40.0 <= target <= -5.0:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "target must be between -40 and -5 LUFS.",
            detail={"target": target},
        )
    info = probe(src, expect=(MediaKind.AUDIO, MediaKind.VIDEO))
    measured = await measure_loudness(
        src, target=target, true_peak=true_peak, lra=lra, info=info, timeout=timeout
    )
    if not math.isfinite(measured.integrated):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "The audio is silent; there is nothing to normalise.",
            detail={"file": src.name},
        )  # fmt: skip
    if on_progress is not None:
        on_progress(0.5)
    spec = (
        f"{_loudnorm_spec(target, true_peak, lra)}:measured_I={measured.integrated:.2f}"
        f":measured_TP={measured.true_peak:.2f}:measured_LRA={measured.lra:.2f}"
        f":measured_thresh={measured.threshold:.2f}:offset={measured.offset:.2f}:linear=true"
    )
    rate = str(info.sample_rate or 48000)  # loudnorm works at 192 kHz; come back down
    args = ["-i", str(info.path)]
    if info.kind is MediaKind.VIDEO:
        args += ["-map", "0:v:0", "-map", "0:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "192k"]
    else:
        args += ["-map", "0:a:0", *audio_output_args(dst)]
    args += ["-af", spec, "-ar", rate]
    with atomic_output(dst) as tmp:
        await run_ffmpeg(
            [*args, str(tmp)],
            duration=info.duration,
            on_progress=(lambda f: on_progress(0.5 + f / 2)) if on_progress else None,
            timeout=timeout,
        )
    return dst


class MuxMode(StrEnum):
    REPLACE = "replace"  # the new track is the only sound
    MIX = "mix"  # mixed over the video's own sound


async def mux_audio(
    video: Path,
    audio: Path,
    dst: Path,
    *,
    mode: MuxMode | str = MuxMode.REPLACE,
    volume: float = 1.0,
    normalize: bool = False,
    target: float = -16.0,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    """Put ``audio`` under ``video``. The result is exactly as long as the video: a
    shorter track is padded with silence, a longer one is cut. The picture is copied."""
    vinfo = probe(video, expect=MediaKind.VIDEO)
    ainfo = probe(audio, expect=(MediaKind.AUDIO, MediaKind.VIDEO))
    if not ainfo.has_audio and ainfo.kind is not MediaKind.AUDIO:
        raise ReelForgeError(
            ErrorCode.UNSUPPORTED_MEDIA,
            "The audio input has no sound track.",
            detail={"file": audio.name},
        )
    if not 0.0 <= volume <= 4.0:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "volume must be between 0 and 4.", detail={"volume": volume}
        )
    mode = choice(MuxMode, mode, "mode")
    duration = vinfo.duration or 0.0
    with scratch_dir(dst) as scratch:
        track = ainfo.path
        if normalize:
            track = await normalize_loudness(
                track, scratch / "track.wav", target=target, timeout=timeout
            )
        graph = f"[1:a:0]aresample=48000,volume={volume:g},apad[a1]"
        if mode is MuxMode.MIX and vinfo.has_audio:
            graph += (
                ";[0:a:0]aresample=48000[a0];[a0][a1]amix=inputs=2:duration=first:normalize=0[a]"
            )
        else:
            graph = graph.replace("[a1]", "[a]")
        args = ["-i", str(vinfo.path), "-i", str(track), "-filter_complex", graph]
        args += ["-map", "0:v:0", "-map", "[a]", "-c:v", "copy", "-c:a", "aac", "-b:a", "192k"]
        args += ["-t", f"{duration:.6f}"]
        with atomic_output(dst) as tmp:
            await run_ffmpeg(
                [*args, str(tmp)], duration=duration, on_progress=on_progress, timeout=timeout
            )
    return dst
