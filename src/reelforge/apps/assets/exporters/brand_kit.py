"""Business mode's brand kit: the logo cut out and placed on light and dark backgrounds,
and in the usual social sizes (square avatar, banner, open-graph card)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PIL import Image

from reelforge.apps.assets.exporters._images import clear_background, open_image, png_bytes
from reelforge.domain.errors import ErrorCode, ReelForgeError

LIGHT = (250, 250, 250, 255)
DARK = (18, 18, 22, 255)
SOCIAL = {
    "avatar_400x400": (400, 400),
    "og_1200x630": (1200, 630),
    "x_banner_1500x500": (1500, 500),
    "linkedin_banner_1584x396": (1584, 396),
}


def _place(logo: Image.Image, size: tuple[int, int], bg: tuple[int, int, int, int]) -> Image.Image:
    canvas = Image.new("RGBA", size, bg)
    mark = logo.copy()
    mark.thumbnail((int(size[0] * 0.6), int(size[1] * 0.6)), Image.Resampling.LANCZOS)
    canvas.alpha_composite(mark, ((size[0] - mark.width) // 2, (size[1] - mark.height) // 2))
    return canvas


class BrandKitExporter:
    format = "brand_kit"
    content_type = "image/png"

    def export(self, images: list[bytes], options: Mapping[str, Any]) -> dict[str, bytes]:
        if len(images) != 1:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "A brand kit is made from one logo image.",
                detail={"images": len(images)},
            )
        logo = clear_background(open_image(images[0]))
        box = logo.getchannel("A").getbbox()
        if box:
            logo = logo.crop(box)
        files = {
            "logo_transparent.png": png_bytes(logo),
            "logo_on_light.png": png_bytes(_place(logo, (1024, 1024), LIGHT)),
            "logo_on_dark.png": png_bytes(_place(logo, (1024, 1024), DARK)),
        }
        for name, size in SOCIAL.items():
            files[f"{name}.png"] = png_bytes(_place(logo, size, LIGHT))
        manifest = {"light": LIGHT[:3], "dark": DARK[:3], "social": SOCIAL}
        files["kit.json"] = json.dumps(manifest).encode()
        return files
