"""Timeline work: fit a clip to a duration (trim, loop, hold the last frame, slow down:
the series platform's ``edit_extend_strategy``) and concatenate clips."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media.encode import Quality, video_args
from reelforge.media.files import atomic_output, scratch_dir
from reelforge.media.probe import MediaInfo, probe
from reelforge.media.runner import ProgressFn, run_ffmpeg
from reelforge.media.values import choice


class ExtendStrategy(StrEnum):
    HOLD_LAST_FRAME = "hold_last_frame"
    LOOP = "loop"
    SLOW_MOTION = "slow_motion"


def _seconds(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _atempo_chain(factor: float) -> str:
    # atempo takes 0.5..2 per instance; slowing by more chains several.
    parts: list[str] = []
    while factor < 0.5:
        parts.append("atempo=0.5")
        factor /= 0.5
    parts.append(f"atempo={factor:.6f}")
    return ",".join(parts)


async def fit_duration(
    src: Path,
    dst: Path,
    *,
    duration: float,
    strategy: ExtendStrategy | str = ExtendStrategy.HOLD_LAST_FRAME,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    """Make ``src`` exactly ``duration`` seconds: trim a longer clip, extend a shorter
    one by ``strategy``. Audio follows (looped, padded with silence, or slowed)."""
    if not 0.1 <= duration <= 3600:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "duration must be between 0.1 and 3600 seconds.",
            detail={"duration": duration},
        )
    info = probe(src, expect=MediaKind.VIDEO)
    strategy = choice(ExtendStrategy, strategy, "strategy")
    have = info.duration or 0.0
    extra = duration - have
    inputs = ["-i", str(src)]
    vf: list[str] = []
    af: list[str] = []
    if extra > 0:
        if strategy is ExtendStrategy.LOOP:
            inputs = ["-stream_loop", "-1", *inputs]
        elif strategy is ExtendStrategy.HOLD_LAST_FRAME:
            vf.append(f"tpad=stop_mode=clone:stop_duration={_seconds(extra + 1)}")
            af.append("apad")
        else:
            factor = duration / have
            # Stretched timestamps, then back to the clip's constant frame rate.
            vf.append(f"setpts=PTS*{factor:.6f},fps={info.fps or 30:g}")
            af.append(_atempo_chain(1 / factor))
    args = [*inputs, "-map", "0:v:0"]
    if info.has_audio:
        args += ["-map", "0:a:0"]
    if vf:
        args += ["-vf", ",".join(vf)]
    if af and info.has_audio:
        args += ["-af", ",".join(af)]
    # Re-encoded, so the cut is frame-exact rather than at a keyframe.
    args += ["-t", _seconds(duration), *video_args(quality)]
    args += ["-c:a", "aac", "-b:a", "192k"] if info.has_audio else ["-an"]
    with atomic_output(dst) as tmp:
        await run_ffmpeg(
            [*args, str(tmp)], duration=duration, on_progress=on_progress, timeout=timeout
        )
    return dst


def _same_stream_shape(infos: Sequence[MediaInfo]) -> bool:
    first = infos[0]
    return all(
        (i.codec, i.width, i.height, i.fps, i.has_audio, i.audio_codec, i.sample_rate, i.channels)
        == (
            first.codec,
            first.width,
            first.height,
            first.fps,
            first.has_audio,
            first.audio_codec,
            first.sample_rate,
            first.channels,
        )
        for i in infos
    )


def _concat_list(paths: Sequence[Path]) -> str:
    def quoted(path: Path) -> str:
        return "'" + str(path.resolve()).replace("'", "'\\''") + "'"

    return "".join(f"file {quoted(p)}\n" for p in paths)


async def concat(
    sources: Sequence[Path],
    dst: Path,
    *,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    """Join clips in order. Clips with identical codecs and shapes are joined without
    re-encoding; otherwise every clip is scaled/padded to the first one's size and frame
    rate and re-encoded (clips without sound get silence, so the audio stays in sync)."""
    if len(sources) < 2:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "concat needs at least two clips.",
            detail={"count": len(sources)},
        )
    infos = [probe(p, expect=MediaKind.VIDEO) for p in sources]
    total = sum(i.duration or 0.0 for i in infos)
    if _same_stream_shape(infos):
        with scratch_dir(dst) as scratch, atomic_output(dst) as tmp:
            listing = scratch / "list.txt"
            listing.write_text(_concat_list(sources), encoding="utf-8")
            await run_ffmpeg(
                [
                    "-f",
                    "concat",
                    "-safe",
                    "0",
                    "-i",
                    str(listing),
                    "-map",
                    "0",
                    "-c",
                    "copy",
                    str(tmp),
                ],
                duration=total,
                on_progress=on_progress,
                timeout=timeout,
                # Nothing is decoded when copying; AAC priming makes harmless DTS
                # overlaps at the joins, which strict mode would reject.
                strict=False,
            )
        return dst
    first = infos[0]
    w, h, fps = first.width, first.height, first.fps or 30.0
    any_audio = any(i.has_audio for i in infos)
    args: list[str] = []
    chains: list[str] = []
    labels: list[str] = []
    for n, info in enumerate(infos):
        args += ["-i", str(info.path)]
        chains.append(
            f"[{n}:v:0]scale={w}:{h}:force_original_aspect_ratio=decrease,"
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={fps:g},format=yuv420p[v{n}]"
        )
        labels.append(f"[v{n}]")
        if any_audio:
            if info.has_audio:
                chains.append(
                    f"[{n}:a:0]aresample=48000,aformat=channel_layouts=stereo,"
                    f"apad,atrim=duration={_seconds(info.duration or 0)}[a{n}]"
                )
            else:
                chains.append(
                    f"anullsrc=r=48000:cl=stereo,atrim=duration={_seconds(info.duration or 0)}[a{n}]"
                )
            labels.append(f"[a{n}]")
    chains.append(
        f"{''.join(labels)}concat=n={len(infos)}:v=1:a={int(any_audio)}[v]"
        + ("[a]" if any_audio else "")
    )
    args += ["-filter_complex", ";".join(chains), "-map", "[v]"]
    args += ["-map", "[a]", "-c:a", "aac", "-b:a", "192k"] if any_audio else ["-an"]
    with atomic_output(dst) as tmp:
        await run_ffmpeg(
            [*args, *video_args(quality), str(tmp)],
            duration=total,
            on_progress=on_progress,
            timeout=timeout,
        )
    return dst
