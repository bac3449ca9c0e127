"""Small preview images (gallery thumbnails) of images and videos.

A thumbnail is a WebP at most ``max_side`` pixels on its longer side. For a video it is
the first *good* frame of its opening seconds: many clips open on black (a fade-in) or a
flat colour, which makes a useless preview, so frames whose brightness is near black or
white, or that have almost no contrast, are passed over. If none qualifies, the first
frame is used.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageOps

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.media.frames import frame_array
from reelforge.media.probe import error_reason, probe

THUMBNAIL_CONTENT_TYPE = "image/webp"
DEFAULT_MAX_SIDE = 256
_SCAN_SECONDS = 3.0
_SCAN_FRAMES = 90
# On 0–255 luma: a frame darker or brighter than this on average, or flatter than this
# (standard deviation), is a fade or a blank card.
_DARK, _BRIGHT, _FLAT = 16.0, 239.0, 6.0


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    width: int
    height: int
    content_type: str = THUMBNAIL_CONTENT_TYPE


def good_frame(pixels: np.ndarray) -> bool:
    luma = pixels[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    mean, spread = float(luma.mean()), float(luma.std())
    return _DARK < mean < _BRIGHT and spread > _FLAT


def _video_pixels(path: Path) -> np.ndarray:
    first: np.ndarray | None = None
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            for index, frame in enumerate(container.decode(stream)):
                pixels = frame_array(frame)
                if first is None:
                    first = pixels
                if good_frame(pixels):
                    return pixels
                seconds = float(frame.time or 0.0)
                if index + 1 >= _SCAN_FRAMES or seconds >= _SCAN_SECONDS:
                    break
    except av.FFmpegError as exc:
        raise ReelForgeError(
            ErrorCode.UNSUPPORTED_MEDIA,
            "The video is corrupt or truncated: no frame could be decoded for its preview.",
            detail={"file": path.name, "reason": error_reason(exc)},
        ) from exc
    if first is None:
        raise ReelForgeError(
            ErrorCode.UNSUPPORTED_MEDIA,
            "The video has no decodable frame for a preview.",
            detail={"file": path.name},
        )
    return first


def _image(path: Path) -> Image.Image:
    with Image.open(path) as im:
        im.seek(0)  # the first frame of an animated image
        upright = ImageOps.exif_transpose(im)
        return upright.convert("RGBA" if "A" in upright.getbands() else "RGB")


def make_thumbnail(path: Path, *, max_side: int = DEFAULT_MAX_SIDE) -> Thumbnail:
    """The preview of an image or video file (probed first: bombs and damage refused)."""
    info = probe(path, expect=(MediaKind.IMAGE, MediaKind.VIDEO))
    if info.kind is MediaKind.VIDEO:
        image = Image.fromarray(_video_pixels(info.path))
    else:
        image = _image(info.path)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # method=4: the encoder's balanced effort; a 256 px preview encodes in milliseconds.
    image.save(out, format="WEBP", quality=80, method=4)
    return Thumbnail(out.getvalue(), image.width, image.height)
