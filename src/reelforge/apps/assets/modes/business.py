"""Business mode: logos, brand marks and social graphics for a company's identity."""

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
}

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
    parts = [f"{preset.tokens[0]} for {subject}", *preset.tokens[1:], f"{tone} tone"]
    if industry:
        parts.append(f"{industry} industry")
    parts.append("brand-safe, crisp edges")
    return ", ".join(parts)


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
        "huggingface/sdxl-base-1.0",
        frozenset({"standard"}),
        native_negative=True,
        needs_key=True,
        tools=frozenset({"product_shot", "social_banner"}),
        steps_param="num_inference_steps",
        guidance_param="guidance_scale",
    ),
    ProviderRoute(
        "pollinations/flux",
        frozenset({"standard", "hd"}),
        native_negative=False,
        needs_key=False,
    ),
)


def _exporters() -> dict[str, Callable[[], Any]]:
    from reelforge.apps.assets.exporters.brand_kit import BrandKitExporter

    return {"brand_kit": BrandKitExporter}


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
    exporters=_exporters(),
    fields=FIELDS,
)


@hookimpl
def register_asset_modes(register: Callable[[ModeContract], None]) -> None:
    register(MODE)
