"""Pixel mode: sprites, tiles and game art on a strict grid and palette."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reelforge.apps.assets.contract import (
    ModeContract,
    ModeStatus,
    Preset,
    QualityConstraints,
    QualityProfile,
)
from reelforge.apps.assets.exporters.pixel_sheet import SpriteSheetExporter
from reelforge.apps.assets.modes.base import join_prompt, plugin, presets, route

PRESETS = presets(
    Preset(
        "sprite",
        "Character sprite",
        ("pixel art character sprite", "full body", "centered", "clean silhouette"),
        ("cropped", "multiple characters"),
        width=512,
        height=512,
        profile=QualityProfile(steps=4, guidance=3.0),
        colors=16,
    ),
    Preset(
        "tileset",
        "Tileset tile",
        ("seamless pixel art tile", "top-down", "tileable edges"),
        ("perspective", "visible seams"),
        width=512,
        height=512,
        profile=QualityProfile(steps=4, guidance=3.5),
        colors=24,
    ),
    Preset(
        "item_icon",
        "Item icon",
        ("pixel art item icon", "single object", "bold outline"),
        ("background clutter", "text"),
        width=512,
        height=512,
        profile=QualityProfile(steps=4, guidance=3.0),
        colors=12,
    ),
    Preset(
        "animation_frame",
        "Animation frame",
        ("pixel art animation frame", "consistent proportions", "side view"),
        ("motion blur",),
        width=512,
        height=512,
        profile=QualityProfile(steps=6, guidance=3.5),
        colors=16,
    ),
)

NEGATIVE_BANK = (
    "blurry",
    "anti-aliasing",
    "smooth gradients",
    "photorealistic",
    "3d render",
    "jpeg artifacts",
    "watermark",
)

# Slot → phrases (slot 0 is the canonical prompt): pose, lighting, detail density/colour.
MUTATIONS = {
    1: ("three-quarter view", "action pose", "facing left, mid-stride", "back view"),
    2: ("warm sunset lighting", "moody night palette", "dungeon torchlight", "bright daylight"),
    3: ("minimal 8-colour palette", "high detail shading", "limited NES palette", "GameBoy greens"),
}

FIELDS = {"era": ("8-bit", "16-bit", "32-bit"), "outline": ("black", "selective", "none")}


def build_prompt(subject: str, preset: Preset, fields: Mapping[str, Any]) -> str:
    era = fields.get("era") or "16-bit"
    outline = fields.get("outline") or "black"
    return join_prompt(
        f"{era} {preset.tokens[0]} of {subject}",
        preset,
        f"{outline} outline",
        "crisp square pixels",
        "flat transparent background",
    )


ROUTES = (
    route("together/flux-1-schnell", "standard"),
    route("fal/flux-dev", "hd"),
    route("replicate/flux-1.1-pro", "hd"),
    route("huggingface/flux-1-schnell", "standard", tools=("sprite", "item_icon")),
    route("comfyui/sd15-txt2img", "standard"),
    route("pollinations/flux", "standard", "hd"),
)

MODE = ModeContract(
    id="pixel",
    name="Pixel",
    description="Sprites, tiles, icons and animation frames on a strict pixel grid.",
    target_audience="Indie game developers and pixel artists",
    output_types=("sprite", "tile", "icon", "animation_frame"),
    export_formats=("png", "sprite_sheet"),
    status=ModeStatus.STABLE,
    studio_path="/pixel/studio",
    presets=PRESETS,
    default_preset="sprite",
    build_prompt=build_prompt,
    negative_bank=NEGATIVE_BANK,
    mutations=MUTATIONS,
    constraints=QualityConstraints(min_size=16, max_size=1024, transparent=True, max_palette=64),
    routes=ROUTES,
    exporters={"sprite_sheet": SpriteSheetExporter},
    fields=FIELDS,
)

register_asset_modes = plugin(MODE)
