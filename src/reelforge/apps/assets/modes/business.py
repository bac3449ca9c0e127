"""Business mode: logos, brand marks and social graphics for a company's identity."""

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
from reelforge.apps.assets.exporters.brand_kit import BrandKitExporter
from reelforge.apps.assets.modes.base import join_prompt, plugin, presets, route

PRESETS = presets(
    Preset(
        "logo",
        "Logo mark",
        ("minimal vector-style logo mark", "centered", "balanced negative space"),
        ("busy background", "photograph", "mockup"),
        width=1024,
        height=1024,
        profile=QualityProfile(steps=8, guidance=4.0),
    ),
    Preset(
        "social_banner",
        "Social banner",
        ("clean social media banner", "brand colours", "space for a headline"),
        ("cluttered", "tiny text"),
        width=1344,
        height=768,
        profile=QualityProfile(steps=8, guidance=3.5),
    ),
    Preset(
        "product_shot",
        "Product shot",
        ("studio product photograph", "soft box lighting", "seamless backdrop"),
        ("harsh shadows", "reflections of the photographer"),
        width=1024,
        height=1024,
        profile=QualityProfile(steps=10, guidance=3.5),
    ),
    Preset(
        "pitch_slide",
        "Pitch slide art",
        ("corporate illustration", "flat shapes", "presentation ready"),
        ("cartoonish", "childish"),
        width=1344,
        height=768,
        profile=QualityProfile(steps=8, guidance=3.0),
    ),
)

NEGATIVE_BANK = (
    "misspelled text",
    "garbled letters",
    "low resolution",
    "amateur",
    "clip art",
    "watermark",
    "stock photo overlay",
)

MUTATIONS = {
    1: ("symmetrical composition", "off-centre layout", "isometric angle", "close crop"),
    2: ("bright optimistic mood", "premium dark theme", "calm pastel tones", "bold high contrast"),
    3: ("monochrome variant", "two-colour palette", "rich gradient accents", "geometric detail"),
}

FIELDS = {
    "industry": ("tech", "finance", "food", "health", "retail", "creative"),
    "tone": ("professional", "playful", "luxury", "friendly"),
}


def build_prompt(subject: str, preset: Preset, fields: Mapping[str, Any]) -> str:
    industry = fields.get("industry")
    tone = fields.get("tone") or "professional"
    return join_prompt(
        f"{preset.tokens[0]} for {subject}",
        preset,
        f"{tone} tone",
        *([f"{industry} industry"] if industry else []),
        "brand-safe, crisp edges",
    )


ROUTES = (
    route("together/flux-1-schnell", "standard"),
    route("fal/flux-dev", "hd"),
    route("replicate/flux-1.1-pro", "hd"),
    route("huggingface/sdxl-base-1.0", "standard", tools=("product_shot", "social_banner")),
    route("pollinations/flux", "standard", "hd"),
)

MODE = ModeContract(
    id="business",
    name="Business",
    description="Logos, brand marks, banners and product shots for a brand.",
    target_audience="Founders, marketers and small businesses",
    output_types=("logo", "banner", "product_shot", "slide_art"),
    export_formats=("png", "brand_kit"),
    status=ModeStatus.STABLE,
    studio_path="/business/studio",
    presets=PRESETS,
    default_preset="logo",
    build_prompt=build_prompt,
    negative_bank=NEGATIVE_BANK,
    mutations=MUTATIONS,
    constraints=QualityConstraints(min_size=256, max_size=2048, transparent=False),
    routes=ROUTES,
    exporters={"brand_kit": BrandKitExporter},
    fields=FIELDS,
)

register_asset_modes = plugin(MODE)
