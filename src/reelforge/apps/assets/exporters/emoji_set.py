"""Emoji mode's size set: the glyph on a transparent background at exact square sizes
(16 to 512 px), each as PNG and WebP."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from PIL import Image

from reelforge.apps.assets.exporters._images import clear_background, open_image, png_bytes
from reelforge.domain.errors import ErrorCode, ReelForgeError

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _square(img: Image.Image) -> Image.Image:
    box = img.getchannel("A").getbbox() or (0, 0, img.width, img.height)
    cropped = img.crop(box)
    side = max(cropped.size)
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    canvas.paste(cropped, ((side - cropped.width) // 2, (side - cropped.height) // 2))
    return canvas


class EmojiSetExporter:
    format = "emoji_set"
    content_type = "image/png"

    def export(self, images: list[bytes], options: Mapping[str, Any]) -> dict[str, bytes]:
        sizes = tuple(int(s) for s in options.get("sizes", SIZES))
        if len(images) != 1 or not sizes or any(s not in SIZES for s in sizes):
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"An emoji set takes one image and sizes from {list(SIZES)}.",
                detail={"images": len(images), "sizes": list(sizes)},
            )
        glyph = _square(clear_background(open_image(images[0])))
        files: dict[str, bytes] = {}
        for size in sizes:
            scaled = glyph.resize((size, size), Image.Resampling.LANCZOS)
            files[f"emoji_{size}.png"] = png_bytes(scaled)
            webp = io.BytesIO()
            scaled.save(webp, "WEBP", lossless=True, exact=True)
            files[f"emoji_{size}.webp"] = webp.getvalue()
        return files
