"""Upscaling 2×/4×: ffmpeg's lanczos always works; a Real-ESRGAN-style tool the user
installed on PATH (realesrgan-ncnn-vulkan) is used when present. We never install it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media.encode import Quality, audio_args, video_args
from reelforge.media.files import atomic_output, scratch_dir
from reelforge.media.filtering import apply_filters
from reelforge.media.probe import DEFAULT_LIMITS, MediaInfo, MediaLimits, probe
from reelforge.media.runner import ProgressFn, failure, run_ffmpeg, run_process
from reelforge.media.tools import find_upscaler
from reelforge.media.values import choice


class UpscaleEngine(StrEnum):
    AUTO = "auto"  # the installed tool if any, else lanczos
    LANCZOS = "lanczos"
    REALESRGAN = "realesrgan"


def _check_target(info: MediaInfo, scale: int, limits: MediaLimits) -> None:
    if scale not in (2, 3, 4):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "scale must be 2, 3 or 4.", detail={"scale": scale}
        )
    w, h = (info.width or 0) * scale, (info.height or 0) * scale
    image = info.kind is MediaKind.IMAGE
    max_side = limits.image_max_side if image else limits.video_max_side
    max_pixels = limits.image_max_pixels if image else limits.video_max_pixels
    if w > max_side or h > max_side or w * h > max_pixels:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Upscaling {info.width}x{info.height} by {scale} would exceed the size limit.",
            detail={"width": w, "height": h, "max_side": max_side, "max_pixels": max_pixels},
        )


def _tool_model(scale: int) -> str:
    # x4plus is the photographic model (4× only); animevideov3 covers 2×/3×/4×.
    return "realesrgan-x4plus" if scale == 4 else "realesr-animevideov3"


async def _tool_run(tool: Path, src: Path, dst: Path, scale: int, timeout: float | None) -> None:
    cmd = [
        str(tool),
        "-i",
        str(src),
        "-o",
        str(dst),
        "-s",
        str(scale),
        "-n",
        _tool_model(scale),
        "-f",
        "png",
    ]
    result = await run_process(cmd, timeout=timeout)
    if result.returncode != 0:
        raise failure(result, program=tool.name)


async def _upscale_with_tool(
    tool: Path,
    info: MediaInfo,
    dst: Path,
    scale: int,
    quality: Quality | str,
    on_progress: ProgressFn | None,
    timeout: float | None,
) -> Path:
    report = on_progress or (lambda _f: None)
    with scratch_dir(dst) as scratch, atomic_output(dst) as tmp:
        if info.kind is MediaKind.IMAGE:
            out = scratch / "up.png"
            await _tool_run(tool, info.path, out, scale, timeout)
            # Through ffmpeg so the requested output format (png/jpg/webp) is honoured.
            await run_ffmpeg(["-i", str(out), "-frames:v", "1", "-update", "1", str(tmp)])
        else:
            frames_in, frames_out = scratch / "in", scratch / "out"
            frames_in.mkdir()
            frames_out.mkdir()
            await run_ffmpeg(
                [
                    "-i",
                    str(info.path),
                    "-map",
                    "0:v:0",
                    "-fps_mode",
                    "passthrough",
                    str(frames_in / "%08d.png"),
                ],
                duration=info.duration,
                on_progress=lambda f: report(0.2 * f),
                timeout=timeout,
            )
            await _tool_run(tool, frames_in, frames_out, scale, timeout)
            report(0.8)
            args = ["-framerate", f"{info.fps or 30:g}", "-i", str(frames_out / "%08d.png")]
            args += ["-i", str(info.path), "-map", "0:v:0"]
            if info.has_audio:
                args += ["-map", "1:a:0"]
            await run_ffmpeg(
                [*args, *video_args(quality), *audio_args(info, dst), "-shortest", str(tmp)],
                duration=info.duration,
                on_progress=lambda f: report(0.8 + 0.2 * f),
                timeout=timeout,
            )
    report(1.0)
    return dst


async def upscale(
    src: Path,
    dst: Path,
    *,
    scale: int = 2,
    engine: UpscaleEngine | str = UpscaleEngine.AUTO,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
    limits: MediaLimits = DEFAULT_LIMITS,
    tool_path: str | None = None,
) -> Path:
    """Upscale an image or a video by ``scale``. ``tool_path`` overrides PATH (tests)."""
    info = probe(src, expect=(MediaKind.IMAGE, MediaKind.VIDEO), limits=limits)
    _check_target(info, scale, limits)
    chosen = choice(UpscaleEngine, engine, "engine")
    tool = find_upscaler(tool_path) if chosen is not UpscaleEngine.LANCZOS else None
    if chosen is UpscaleEngine.REALESRGAN and tool is None:
        raise ReelForgeError(
            ErrorCode.DEPENDENCY_MISSING,
            "No Real-ESRGAN upscaler is installed.",
            detail={"program": "realesrgan-ncnn-vulkan"},
            remediation=(
                "Install realesrgan-ncnn-vulkan and put it on PATH, or use engine 'lanczos'.",
            ),
        )
    if tool is not None:
        return await _upscale_with_tool(tool, info, dst, scale, quality, on_progress, timeout)
    step = f"scale=iw*{scale}:ih*{scale}:flags=lanczos"
    return await apply_filters(
        src, dst, [step], info=info, quality=quality, on_progress=on_progress, timeout=timeout
    )
