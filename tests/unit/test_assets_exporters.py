"""Every exporter's output opened and checked: the sprite atlas matches the sheet, the SVG
parses and keeps the preset's colours, the emoji sizes are exact, the brand kit's logo
sits on light and dark."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image, ImageDraw

from reelforge.apps.assets.exporters.brand_kit import SOCIAL, BrandKitExporter
from reelforge.apps.assets.exporters.emoji_set import SIZES, EmojiSetExporter
from reelforge.apps.assets.exporters.pixel_sheet import SpriteSheetExporter
from reelforge.apps.assets.exporters.vector_svg import SvgExporter
from reelforge.domain.errors import ReelForgeError


def drawing(seed: int, size: int = 256) -> bytes:
    """A flat backdrop with a few coloured shapes (what a generated asset looks like)."""
    img = Image.new("RGB", (size, size), (255, 255, 255))
    d = ImageDraw.Draw(img)
    c = size // 8
    d.ellipse((c, c, size - c, size - c), fill=(200, (seed * 40) % 255, 40))
    d.rectangle((3 * c, 3 * c, 5 * c, 6 * c), fill=(20, 60, 180))
    d.polygon([(c, size - c), (size // 2, 5 * c), (size - c, size - c)], fill=(30, 160, 70))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def test_sprite_sheet_atlas_matches_the_sheet() -> None:
    frames = [drawing(i) for i in range(10)]
    files = SpriteSheetExporter().export(frames, {"grid": 32, "scale": 2, "colors": 8})
    sheet = Image.open(io.BytesIO(files["sheet.png"]))
    atlas = json.loads(files["atlas.json"])
    assert sheet.mode == "RGBA"
    assert atlas["meta"]["size"] == {"w": sheet.width, "h": sheet.height} == {"w": 256, "h": 192}
    assert len(atlas["frames"]) == 10
    rects = set()
    for name, entry in atlas["frames"].items():
        f = entry["frame"]
        assert (f["w"], f["h"]) == (64, 64)
        assert f["x"] + f["w"] <= sheet.width and f["y"] + f["h"] <= sheet.height
        rects.add((f["x"], f["y"]))
        cell = sheet.crop((f["x"], f["y"], f["x"] + 64, f["y"] + 64))
        alpha = set(cell.getchannel("A").tobytes())
        assert alpha <= {0, 255} and 0 in alpha and 255 in alpha, name  # transparent, hard edge
        arr = np.asarray(cell)
        colours = {tuple(p[:3]) for p in arr.reshape(-1, 4) if p[3]}
        assert len(colours) <= 8
        # Nearest-neighbour ×2: every 2×2 block is one colour.
        px = cell.load()
        assert all(
            px[x, y] == px[x + 1, y] == px[x, y + 1] == px[x + 1, y + 1]
            for x in range(0, 64, 2)
            for y in range(0, 64, 2)
        )
    assert len(rects) == 10  # no two frames overlap
    unused = sheet.crop((128, 128, 256, 192))  # cells 10 and 11 are empty
    assert unused.getchannel("A").getextrema() == (0, 0)


def test_svg_parses_and_keeps_the_colour_count() -> None:
    files = SvgExporter().export([drawing(1, 512)], {"colors": 4})
    svg = files["asset_0.svg"]
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert (root.get("width"), root.get("height")) == ("512", "512")
    paths = [el for el in root.iter() if el.tag.endswith("path")]
    assert paths and all(p.get("d") for p in paths)
    fills = {p.get("fill") for p in paths}
    assert 2 <= len(fills) <= 4


def test_emoji_sizes_are_exact_png_and_webp() -> None:
    files = EmojiSetExporter().export([drawing(2, 300)], {})
    assert set(files) == {f"emoji_{s}.{ext}" for s in SIZES for ext in ("png", "webp")}
    for size in SIZES:
        for ext, fmt in (("png", "PNG"), ("webp", "WEBP")):
            img = Image.open(io.BytesIO(files[f"emoji_{size}.{ext}"]))
            assert img.format == fmt and img.size == (size, size)
            img = img.convert("RGBA")
            assert img.getpixel((0, 0))[3] == 0  # transparent corner
            assert img.getpixel((size // 2, size // 2))[3] == 255
    with pytest.raises(ReelForgeError):
        EmojiSetExporter().export([drawing(2)], {"sizes": [20]})


def test_brand_kit_light_dark_and_social_sizes() -> None:
    files = BrandKitExporter().export([drawing(3, 512)], {})
    light = Image.open(io.BytesIO(files["logo_on_light.png"])).convert("RGB")
    dark = Image.open(io.BytesIO(files["logo_on_dark.png"])).convert("RGB")
    assert light.getpixel((2, 2)) == (250, 250, 250) and dark.getpixel((2, 2)) == (18, 18, 22)
    assert light.getpixel((512, 512)) == dark.getpixel((512, 512))  # the same mark on both
    transparent = Image.open(io.BytesIO(files["logo_transparent.png"]))
    assert transparent.mode == "RGBA"
    for name, size in SOCIAL.items():
        assert Image.open(io.BytesIO(files[f"{name}.png"])).size == size


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ReelForgeError) as err:
        SpriteSheetExporter().export([b"not an image"], {})
    assert err.value.code.value == "UNSUPPORTED_MEDIA"
    with pytest.raises(ReelForgeError):
        SvgExporter().export([drawing(1)], {"colors": 1})
