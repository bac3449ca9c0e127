"""Vector mode: icons and illustrations generated flat, then traced to SVG."""

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
from reelforge.apps.assets.exporters.vector_svg import SvgExporter
from reelforge.apps.assets.modes.base import join_prompt, plugin, presets, route

PRESETS = presets(
    Preset(
        "line_icon",
        "Line icon",
        ("single-weight line icon", "uniform stroke", "geometric"),
        ("fill textures", "shading"),
        width=768,
        height=768,
        profile=QualityProfile(steps=4, guidance=3.0),
        colors=2,
    ),
    Preset(
        "flat_illustration",
        "Flat illustration",
        ("flat vector illustration", "solid fills", "simple shapes"),
        ("gradients", "noise", "photographic texture"),
        width=1024,
        height=1024,
        profile=QualityProfile(steps=6, guidance=3.5),
        colors=8,
    ),
    Preset(
        "badge",
        "Badge / sticker",
        ("vector badge emblem", "bold shapes", "thick outline"),
        ("thin hairlines",),
        width=768,
        height=768,
        profile=QualityProfile(steps=4, guidance=3.5),
        colors=6,
    ),
)

NEGATIVE_BANK = (
    "photorealistic",
    "noise",
    "film grain",
    "soft blur",
    "complex texture",
    "watermark",
)

MUTATIONS = {
    1: ("rotated 15 degrees", "front-facing", "isometric projection", "profile silhouette"),
    2: ("light on dark", "dark on light", "duotone mood", "vibrant pop"),
    3: ("minimal detail", "extra ornament", "monoline", "two-tone fill"),
}

FIELDS = {"stroke": ("thin", "regular", "bold"), "style": ("outline", "filled", "duotone")}


def build_prompt(subject: str, preset: Preset, fields: Mapping[str, Any]) -> str:
    stroke = fields.get("stroke") or "regular"
    style = fields.get("style") or "filled"
    return join_prompt(
        f"{preset.tokens[0]} of {subject}",
        preset,
        f"{stroke} stroke",
        f"{style} style",
        f"at most {preset.colors or 8} flat colours",
        "plain white background, scalable",
    )


ROUTES = (
    route("together/flux-1-schnell", "standard"),
    route("fal/flux-dev", "hd"),
    route("replicate/flux-schnell", "standard"),
    route("pollinations/flux", "standard", "hd"),
)

MODE = ModeContract(
    id="vector",
    name="Vector",
    description="Icons, badges and flat illustrations exported as SVG.",
    target_audience="Designers building icon sets and design systems",
    output_types=("icon", "illustration", "badge"),
    export_formats=("png", "svg"),
    status=ModeStatus.STABLE,
    studio_path="/vector/studio",
    presets=PRESETS,
    default_preset="flat_illustration",
    build_prompt=build_prompt,
    negative_bank=NEGATIVE_BANK,
    mutations=MUTATIONS,
    constraints=QualityConstraints(min_size=256, max_size=2048, transparent=False, max_palette=16),
    routes=ROUTES,
    exporters={"svg": SvgExporter},
    fields=FIELDS,
)

register_asset_modes = plugin(MODE)
