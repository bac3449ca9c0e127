"""Media the tests make for themselves with the bundled ffmpeg (no shipped binaries)."""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import av
import numpy as np

from reelforge.media.tools import ffmpeg_exe


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
        check=True,
        timeout=120,
    )


def make_video(
    path: Path,
    *,
    seconds: float = 2.0,
    size: str = "160x120",
    fps: int = 30,
    audio: bool = True,
    codec: str = "libx264",
    gop: int | None = None,
    bframes: bool = False,
    extra: tuple[str, ...] = (),
) -> Path:
    """testsrc2 (a moving picture with a frame counter), optionally with a 440 Hz tone."""
    args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}:sample_rate=48000"]
    args += ["-c:v", codec, "-pix_fmt", "yuv420p"]
    if codec == "libx264":
        args += ["-preset", "medium" if bframes else "ultrafast"]
    if gop:
        args += ["-g", str(gop)]
    if audio:
        args += ["-c:a", "aac" if path.suffix != ".webm" else "libopus", "-shortest"]
    ffmpeg(*args, *extra, str(path))
    return path


def make_image(path: Path, width: int = 64, height: int = 48, color: str = "gray") -> Path:
    ffmpeg("-f", "lavfi", "-i", f"color=c={color}:s={width}x{height}", "-frames:v", "1", str(path))
    return path


def make_tone(path: Path, *, seconds: float = 2.0, freq: int = 440, volume: float = 1.0) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}:sample_rate=48000",
        "-af", f"volume={volume}", str(path),
    )  # fmt: skip
    return path


def png_bomb(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A PNG that claims absurd dimensions over a few bytes of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


def all_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def frame_count(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def leftovers(folder: Path) -> list[str]:
    """Temporary or partial files an operation may have left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or ".part" in p.name)
