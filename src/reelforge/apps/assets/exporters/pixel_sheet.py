"""Pixel mode's sprite sheet: frames downscaled to the grid, palette-quantised, scaled back
up nearest-neighbour, background cleared, packed into one PNG with a JSON atlas (the
TexturePacker "hash" shape game engines read: frames → {frame: {x, y, w, h}})."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from PIL import Image

from reelforge.apps.assets.exporters._images import clear_background, open_image, png_bytes
from reelforge.domain.errors import ErrorCode, ReelForgeError

MAX_FRAMES = 256


def pixelate(img: Image.Image, grid: int, scale: int, colors: int) -> Image.Image:
    # Down to the grid first: the backdrop is cleared on grid² pixels, not the full image.
    small = clear_background(img.resize((grid, grid), Image.Resampling.NEAREST))
    alpha = small.getchannel("A")
    quantised = small.convert("RGB").quantize(
        colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    frame = quantised.convert("RGBA")
    frame.putalpha(alpha.point(lambda a: 255 if a >= 128 else 0))  # no half-transparent pixels
    return frame.resize((grid * scale, grid * scale), Image.Resampling.NEAREST)


class SpriteSheetExporter:
    format = "sprite_sheet"
    content_type = "image/png"

    def export(self, images: list[bytes], options: Mapping[str, Any]) -> dict[str, bytes]:
        grid = int(options.get("grid", 32))
        scale = int(options.get("scale", 4))
        colors = int(options.get("colors", 16))
        if (
            not images
            or len(images) > MAX_FRAMES
            or not (8 <= grid <= 256)
            or not (1 <= scale <= 16)
            or not (2 <= colors <= 256)
        ):
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "A sprite sheet takes 1 to 256 frames, grid 8–256, scale 1–16, colors 2–256.",
                detail={"frames": len(images), "grid": grid, "scale": scale, "colors": colors},
            )
        size = grid * scale
        columns = int(options.get("columns") or math.ceil(math.sqrt(len(images))))
        rows = math.ceil(len(images) / columns)
        sheet = Image.new("RGBA", (columns * size, rows * size), (0, 0, 0, 0))
        frames: dict[str, Any] = {}
        for index, data in enumerate(images):
            frame = pixelate(open_image(data), grid, scale, colors)
            x, y = (index % columns) * size, (index // columns) * size
            sheet.paste(frame, (x, y))
            frames[f"frame_{index:03d}"] = {
                "frame": {"x": x, "y": y, "w": size, "h": size},
                "rotated": False,
                "trimmed": False,
                "spriteSourceSize": {"x": 0, "y": 0, "w": size, "h": size},
                "sourceSize": {"w": size, "h": size},
            }
        atlas = {
            "frames": frames,
            "meta": {
                "app": "reelforge-assets",
                "image": "sheet.png",
                "format": "RGBA8888",
                "size": {"w": sheet.width, "h": sheet.height},
                "scale": scale,
                "grid": grid,
                "colors": colors,
            },
        }
        return {"sheet.png": png_bytes(sheet), "atlas.json": json.dumps(atlas, indent=1).encode()}
