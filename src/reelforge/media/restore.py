"""Clean-up passes: denoise (image or video), deflicker and frame interpolation (video)."""

from __future__ import annotations

from pathlib import Path

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media import looks
from reelforge.media.encode import Quality
from reelforge.media.filtering import apply_filters
from reelforge.media.probe import probe
from reelforge.media.runner import ProgressFn


async def denoise(
    src: Path,
    dst: Path,
    *,
    strength: looks.Strength | str = looks.Strength.MEDIUM,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    info = probe(src, expect=(MediaKind.IMAGE, MediaKind.VIDEO))
    return await apply_filters(
        src,
        dst,
        [looks.denoise_filter(strength, still=info.kind is MediaKind.IMAGE)],
        info=info,
        quality=quality,
        on_progress=on_progress,
        timeout=timeout,
    )


async def deflicker(
    src: Path,
    dst: Path,
    *,
    window: int = 5,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    info = probe(src, expect=MediaKind.VIDEO)
    return await apply_filters(
        src,
        dst,
        [looks.deflicker_filter(window)],
        info=info,
        quality=quality,
        on_progress=on_progress,
        timeout=timeout,
    )


async def interpolate(
    src: Path,
    dst: Path,
    *,
    fps: float = 60.0,
    mode: str = "mci",
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    """Raise the frame rate to ``fps`` with new in-between frames (the "pro" levels)."""
    if mode not in ("mci", "blend", "dup"):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "mode must be mci, blend or dup.", detail={"mode": mode}
        )
    info = probe(src, expect=MediaKind.VIDEO)
    if not 1.0 <= fps <= 240.0:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, "fps must be between 1 and 240.", detail={"fps": fps}
        )
    return await apply_filters(
        src,
        dst,
        [looks.interpolate_filter(fps, mode)],
        info=info,
        quality=quality,
        on_progress=on_progress,
        timeout=timeout,
    )
