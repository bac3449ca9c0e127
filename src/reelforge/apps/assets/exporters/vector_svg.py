"""Vector mode's SVG: the raster traced with vtracer (the maintained Rust vectoriser),
after quantising to the preset's colour count so the paths stay few and flat."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PIL import Image

from reelforge.apps.assets.exporters._images import open_image, png_bytes
from reelforge.domain.errors import ErrorCode, ReelForgeError

MAX_SIDE = 2048


class SvgExporter:
    format = "svg"
    content_type = "image/svg+xml"

    def export(self, images: list[bytes], options: Mapping[str, Any]) -> dict[str, bytes]:
        colors = int(options.get("colors", 8))
        if not images or not 2 <= colors <= 64:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "Vectorising takes at least one image and 2 to 64 colours.",
                detail={"colors": colors},
            )
        return {f"asset_{i}.svg": vectorise(data, colors) for i, data in enumerate(images)}


def vectorise(data: bytes, colors: int) -> bytes:
    import vtracer

    img = open_image(data)
    if max(img.size) > MAX_SIDE:
        img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    flat = img.convert("RGB").quantize(colors=colors, dither=Image.Dither.NONE).convert("RGBA")
    svg = vtracer.convert_raw_image_to_svg(
        png_bytes(flat),
        img_format="png",
        colormode="color",
        hierarchical="stacked",
        mode="spline",
        filter_speckle=4,
        color_precision=6,
        layer_difference=16,
        corner_threshold=60,
        length_threshold=4.0,
        splice_threshold=45,
        path_precision=3,
    )
    return svg.encode()
