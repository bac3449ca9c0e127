"""Vector mode's SVG: the raster traced with vtracer (the maintained Rust vectoriser),
after quantising to the preset's colour count so the paths stay few and flat; the fills
are snapped back to that palette (``snap_fills``)."""

from __future__ import annotations

import re
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
    quantised = img.convert("RGB").quantize(colors=colors, dither=Image.Dither.NONE)
    raw = quantised.getpalette() or []
    # A "P" image's colours are palette indexes: the ones in use, not all it could hold.
    used = sorted({c for _n, c in quantised.getcolors(colors) or [] if isinstance(c, int)})
    palette = [tuple(raw[3 * i : 3 * i + 3]) for i in used]
    flat = quantised.convert("RGBA")
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
    return snap_fills(svg, palette).encode()


_FILL = re.compile(r'fill="#([0-9A-Fa-f]{6})"')


def snap_fills(svg: str, palette: list[tuple[int, ...]]) -> str:
    """vtracer averages each cluster's pixels, so near-duplicates of the palette's colours
    appear (#9936C0 next to #9936C1); each fill is snapped to its nearest palette colour,
    so the SVG has at most the preset's colour count."""
    if not palette:
        return svg

    def nearest(m: re.Match[str]) -> str:
        v = int(m.group(1), 16)
        rgb = (v >> 16, (v >> 8) & 255, v & 255)
        best = min(palette, key=lambda p: sum((a - b) ** 2 for a, b in zip(p, rgb, strict=True)))
        return 'fill="#{:02X}{:02X}{:02X}"'.format(*best)

    return _FILL.sub(nearest, svg)
