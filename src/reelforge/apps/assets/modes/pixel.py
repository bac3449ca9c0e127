"""Pixel mode: sprites, tiles and game art on a strict grid and palette."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reelforge.apps.assets.contract import (
    ModeContract,
    ModeStatus,
    Preset,
    ProviderRoute,
    QualityConstraints,
    QualityProfile,
)
from reelforge.apps.assets.modes.registry import hookimpl

PRESETS = {
    p.id: p
    for p in (
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
}

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
    return ", ".join(
        (
            f"{era} {preset.tokens[0]} of {subject}",
            *preset.tokens[1:],
            f"{outline} outline",
            "crisp square pixels",
            "flat transparent background",
        )
    )


ROUTES = (
    ProviderRoute(
        "together/flux-1-schnell",
        frozenset({"standard"}),
        native_negative=True,
        needs_key=True,
        steps_param="steps",
        max_steps=12,
    ),
    ProviderRoute(
        "fal/flux-dev",
        frozenset({"hd"}),
        native_negative=False,
        needs_key=True,
        steps_param="num_inference_steps",
        guidance_param="guidance_scale",
        size_params="fal_image_size",
    ),
    ProviderRoute(
        "replicate/flux-1.1-pro",
        frozenset({"hd"}),
        native_negative=False,
        needs_key=True,
        size_params="aspect_ratio",
    ),
    ProviderRoute(
        "huggingface/flux-1-schnell",
        frozenset({"standard"}),
        native_negative=True,
        needs_key=True,
        tools=frozenset({"sprite", "item_icon"}),
        steps_param="num_inference_steps",
        guidance_param="guidance_scale",
    ),
    ProviderRoute(
        "comfyui/sd15-txt2img",
        frozenset({"standard"}),
        native_negative=True,
        needs_key=False,
        steps_param="steps",
        guidance_param="cfg",
    ),
    ProviderRoute(
        "pollinations/flux",
        frozenset({"standard", "hd"}),
        native_negative=False,
        needs_key=False,
    ),
)


def _exporters() -> dict[str, Callable[[], Any]]:
    from reelforge.apps.assets.exporters.pixel_sheet import SpriteSheetExporter

    return {"sprite_sheet": SpriteSheetExporter}


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
    exporters=_exporters(),
    fields=FIELDS,
)


@hookimpl
def register_asset_modes(register: Callable[[ModeContract], None]) -> None:
    register(MODE)
