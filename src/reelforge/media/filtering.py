"""Apply a chain of video filters to an image or a video, with ffmpeg, atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reelforge.domain.modes import MediaKind
from reelforge.media.encode import Quality, audio_args, image_args, video_args
from reelforge.media.files import atomic_output
from reelforge.media.probe import MediaInfo, probe
from reelforge.media.runner import ProgressFn, run_ffmpeg


def filter_graph(steps: Sequence[str]) -> str:
    """Join filters into one ``filter_complex`` from ``[0:v]`` to ``[v]``.

    A step containing ``[in]`` / ``[out]`` is a graph fragment (coarse grain); it is
    spliced in with unique labels. Plain steps are chained with commas.
    """
    chains: list[str] = []
    current: list[str] = []
    label = "0:v"
    for index, step in enumerate(steps):
        if "[in]" in step:
            if current:
                chains.append(f"[{label}]{','.join(current)}[s{index}]")
                label, current = f"s{index}", []
            fragment = step.replace("[in]", f"[{label}]").replace("[out]", f"[f{index}]")
            fragment = fragment.replace("[grain]", f"[g{index}]")
            chains.append(fragment)
            label = f"f{index}"
        elif step != "null":
            current.append(step)
    chains.append(f"[{label}]{','.join(current) or 'null'}[v]")
    return ";".join(chains)


def filter_args(
    info: MediaInfo, dst: Path, steps: Sequence[str], quality: Quality | str
) -> list[str]:
    """ffmpeg arguments (without the output path) that apply ``steps`` to ``info``."""
    args = ["-i", str(info.path), "-filter_complex", filter_graph(steps), "-map", "[v]"]
    if info.kind is MediaKind.IMAGE:
        return [*args, *image_args(dst)]
    if info.has_audio:
        args += ["-map", "0:a:0"]
    return [*args, *video_args(quality), *audio_args(info, dst)]


async def apply_filters(
    src: Path,
    dst: Path,
    steps: Sequence[str],
    *,
    info: MediaInfo | None = None,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    info = info or probe(src, expect=(MediaKind.IMAGE, MediaKind.VIDEO))
    with atomic_output(dst) as tmp:
        await run_ffmpeg(
            [*filter_args(info, dst, steps, quality), str(tmp)],
            duration=info.duration,
            on_progress=on_progress,
            timeout=timeout,
        )
    if on_progress is not None:
        on_progress(1.0)
    return dst


def output_suffix(info: MediaInfo, requested: str | None = None) -> str:
    """The suffix for a transformed copy of ``info``: images stay PNG, video MP4."""
    if requested:
        return requested
    return ".png" if info.kind is MediaKind.IMAGE else ".mp4"
