"""The look passes: colour grade, film grain, Reinhard tone mapping, sharpening, and all
of them in one encode (``film_look``), for images and videos."""

from __future__ import annotations

from pathlib import Path

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media import looks
from reelforge.media.encode import Quality
from reelforge.media.filtering import apply_filters
from reelforge.media.probe import MediaInfo, probe
from reelforge.media.runner import ProgressFn

_KINDS = (MediaKind.IMAGE, MediaKind.VIDEO)


def _check_unit(name: str, value: float, high: float = 1.0) -> None:
    if not 0.0 <= value <= high:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"{name} must be between 0 and {high:g}.",
            detail={"field": name, "value": value},
        )


def look_steps(
    info: MediaInfo,
    *,
    look: looks.Look | str | None = None,
    strength: float = 1.0,
    grain: float = 0.0,
    grain_size: float = 1.0,
    tonemap: bool = False,
    sharpen: float = 0.0,
) -> list[str]:
    """The filters of a look pass, in the order a colourist would apply them."""
    _check_unit("strength", strength)
    _check_unit("grain", grain)
    _check_unit("sharpen", sharpen, 3.0)
    if not 1.0 <= grain_size <= 4.0:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "grain_size must be between 1 and 4.",
            detail={"field": "grain_size", "value": grain_size},
        )
    steps: list[str] = []
    if tonemap:
        steps.append(looks.tonemap_filter())
    if look is not None:
        steps.append(looks.grade_filter(look, strength))
    if sharpen > 0:
        steps.append(looks.sharpen_filter(sharpen))
    if grain > 0:
        steps.append(
            looks.grain_filter(
                grain,
                grain_size,
                width=info.width or 0,
                height=info.height or 0,
                fps=info.fps or 0.0,
            )
        )
    return steps or ["null"]


async def film_look(
    src: Path,
    dst: Path,
    *,
    look: looks.Look | str | None = looks.Look.CINEMATIC,
    strength: float = 1.0,
    grain: float = 0.0,
    grain_size: float = 1.0,
    tonemap: bool = False,
    sharpen: float = 0.0,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    """Tone map, grade, sharpen and add grain in a single decode/encode."""
    info = probe(src, expect=_KINDS)
    steps = look_steps(
        info,
        look=look,
        strength=strength,
        grain=grain,
        grain_size=grain_size,
        tonemap=tonemap,
        sharpen=sharpen,
    )
    return await apply_filters(
        src, dst, steps, info=info, quality=quality, on_progress=on_progress, timeout=timeout
    )


async def grade(
    src: Path,
    dst: Path,
    *,
    look: looks.Look | str = looks.Look.CINEMATIC,
    strength: float = 1.0,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    return await film_look(
        src,
        dst,
        look=look,
        strength=strength,
        quality=quality,
        on_progress=on_progress,
        timeout=timeout,
    )


async def film_grain(
    src: Path,
    dst: Path,
    *,
    amount: float = 0.3,
    size: float = 1.0,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    return await film_look(
        src,
        dst,
        look=None,
        grain=amount,
        grain_size=size,
        quality=quality,
        on_progress=on_progress,
        timeout=timeout,
    )


async def tonemap(
    src: Path,
    dst: Path,
    *,
    exposure: float = 1.0,
    white: float = 2.0,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    """Reinhard tone mapping on its own, with its exposure and white point."""
    info = probe(src, expect=_KINDS)
    return await apply_filters(
        src,
        dst,
        [looks.tonemap_filter(exposure, white)],
        info=info,
        quality=quality,
        on_progress=on_progress,
        timeout=timeout,
    )


async def sharpen(
    src: Path,
    dst: Path,
    *,
    amount: float = 0.6,
    quality: Quality | str = Quality.FAST,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
) -> Path:
    return await film_look(
        src,
        dst,
        look=None,
        sharpen=amount,
        quality=quality,
        on_progress=on_progress,
        timeout=timeout,
    )
