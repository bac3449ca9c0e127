"""Reading generated images and clearing a flat background to transparency (Pillow)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from reelforge.domain.errors import ErrorCode, ReelForgeError


def open_image(data: bytes) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception as exc:
        raise ReelForgeError(
            ErrorCode.UNSUPPORTED_MEDIA,
            "The asset is not an image the exporter can read.",
            detail={"error": type(exc).__name__},
        ) from exc
    return img.convert("RGBA")


def clear_background(img: Image.Image, tolerance: int = 24) -> Image.Image:
    """Pixels close to the corner colour become transparent (flat generated backdrops)."""
    arr = np.array(img.convert("RGBA"))
    corners = np.array([arr[0, 0], arr[0, -1], arr[-1, 0], arr[-1, -1]], dtype=np.int16)
    bg = np.median(corners[:, :3], axis=0).astype(np.int16)
    rgb = arr[:, :, :3].astype(np.int16)
    near = np.ones(arr.shape[:2], dtype=bool)
    for channel in range(3):  # per channel: no (h, w, 3) temporaries
        near &= np.abs(rgb[:, :, channel] - bg[channel]) <= tolerance
    arr[near, 3] = 0
    return Image.fromarray(arr, "RGBA")


def png_bytes(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG", optimize=False)
    return out.getvalue()
