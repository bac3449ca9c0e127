"""Where the external programs are: ffmpeg from imageio-ffmpeg, and an optional
user-installed Real-ESRGAN-style upscaler on PATH (detected, never installed)."""

from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path

from reelforge.domain.errors import ErrorCode, ReelForgeError

# ncnn-vulkan builds share one command line: -i IN -o OUT -s SCALE -n MODEL -f FORMAT.
UPSCALER_NAMES: tuple[str, ...] = ("realesrgan-ncnn-vulkan", "realesr-ncnn-vulkan")


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel, so ``pip install`` is enough."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise ReelForgeError(
            ErrorCode.DEPENDENCY_MISSING,
            "The ffmpeg binary is missing.",
            detail={"package": "imageio-ffmpeg"},
            remediation=("Reinstall ReelForge (pip install reelforge) to restore imageio-ffmpeg.",),
        ) from exc


def find_upscaler(path: str | None = None) -> Path | None:
    """A Real-ESRGAN-style upscaler the user installed on PATH, or None.

    Not cached: a user may install one while the server runs.
    """
    for name in UPSCALER_NAMES:
        found = shutil.which(name, path=path)
        if found:
            return Path(found)
    return None
