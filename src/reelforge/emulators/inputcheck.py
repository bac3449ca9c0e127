"""Checking fetched input media at submit time, as real providers do, so a bad input is a
provider-shaped validation error then rather than a broken output file later."""

from __future__ import annotations

import io

import av
from PIL import Image, UnidentifiedImageError


def decodable(data: bytes, kind: str) -> bool:
    """True when ``data`` opens as ``kind`` ("image", "video" or "audio")."""
    try:
        if kind == "image":
            with Image.open(io.BytesIO(data)) as img:
                img.verify()
            return True
        with av.open(io.BytesIO(data), mode="r") as container:
            streams = container.streams.video if kind == "video" else container.streams.audio
            return len(streams) > 0
    except (UnidentifiedImageError, OSError, ValueError, av.FFmpegError):
        return False
