"""Delivery exports for social platforms: 9:16 (1080×1920), 1:1 (1080×1080) and 16:9
(1920×1080), H.264 High + AAC, ``+faststart`` so playback starts before the download ends."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media.files import atomic_output
from reelforge.media.probe import probe
from reelforge.media.runner import ProgressFn, run_ffmpeg
from reelforge.media.values import choice


@dataclass(frozen=True)
class ExportPreset:
    name: str
    width: int
    height: int
    label: str


PRESETS: dict[str, ExportPreset] = {
    p.name: p
    for p in (
        ExportPreset("vertical", 1080, 1920, "9:16 Reels / Shorts / TikTok"),
        ExportPreset("square", 1080, 1080, "1:1 feed post"),
        ExportPreset("landscape", 1920, 1080, "16:9 YouTube"),
    )
}
ALIASES = {"9:16": "vertical", "1:1": "square", "16:9": "landscape"}


class Fit(StrEnum):
    CROP = "crop"  # fill the frame, cut the overflow (centre)
    PAD = "pad"  # show everything, bars where the shapes differ
    BLUR = "blur"  # show everything over a blurred, filled copy of itself


def preset(name: str) -> ExportPreset:
    key = ALIASES.get(name, name)
    if key not in PRESETS:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Unknown export preset {name!r}.",
            detail={"preset": name, "allowed": sorted([*PRESETS, *ALIASES])},
        )
    return PRESETS[key]


def _fit_graph(w: int, h: int, fit: Fit, fps: float) -> str:
    rate = f"fps={min(fps, 60.0):g}"
    if fit is Fit.CROP:
        body = f"scale={w}:{h}:force_original_aspect_ratio=increase:flags=lanczos,crop={w}:{h}"
        return f"[0:v:0]{body},setsar=1,{rate},format=yuv420p[v]"
    if fit is Fit.PAD:
        body = f"scale={w}:{h}:force_original_aspect_ratio=decrease:flags=lanczos,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2"
        return f"[0:v:0]{body},setsar=1,{rate},format=yuv420p[v]"
    return (
        f"[0:v:0]split[bg][fg];"
        f"[bg]scale={w // 8}:{h // 8}:force_original_aspect_ratio=increase,crop={w // 8}:{h // 8},"
        f"gblur=sigma=6,scale={w}:{h}[bgs];"
        f"[fg]scale={w}:{h}:force_original_aspect_ratio=decrease:flags=lanczos[fgs];"
        f"[bgs][fgs]overlay=(W-w)/2:(H-h)/2,setsar=1,{rate},format=yuv420p[v]"
    )


async def export(
    src: Path,
    dst: Path,
    *,
    preset_name: str = "vertical",
    fit: Fit | str = Fit.CROP,
    crf: int = 20,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    """Encode ``src`` for a platform. A clip without sound gets a silent AAC track,
    because some platforms refuse video-only uploads."""
    target = preset(preset_name)
    if not 14 <= crf <= 32:
        raise ReelForgeError(ErrorCode.VALIDATION_ERROR, "crf must be 14..32.", detail={"crf": crf})
    info = probe(src, expect=MediaKind.VIDEO)
    graph = _fit_graph(target.width, target.height, choice(Fit, fit, "fit"), info.fps or 30.0)
    args = ["-i", str(info.path)]
    if info.has_audio:
        audio_map = ["-map", "0:a:0"]
    else:
        args += ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]
        audio_map = ["-map", "1:a:0", "-shortest"]
    args += ["-filter_complex", graph, "-map", "[v]", *audio_map]
    args += [
        "-c:v", "libx264", "-preset", "medium", "-crf", str(crf), "-profile:v", "high",
        "-level:v", "4.2", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2",
        "-movflags", "+faststart",
    ]  # fmt: skip
    with atomic_output(dst) as tmp:
        await run_ffmpeg(
            [*args, str(tmp)], duration=info.duration, on_progress=on_progress, timeout=timeout
        )
    return dst
