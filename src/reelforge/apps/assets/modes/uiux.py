"""UI/UX mode: interface mockups (images) and, through /api/uiux/generate, code."""

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
from reelforge.apps.assets.modes.base import join_prompt, plugin, presets, route

PRESETS = presets(
    Preset(
        "landing_page",
        "Landing page",
        ("high-fidelity landing page UI mockup", "hero section", "clear call to action"),
        ("lorem ipsum walls", "device frame"),
        width=1344,
        height=768,
        profile=QualityProfile(steps=8, guidance=3.5),
    ),
    Preset(
        "dashboard",
        "Dashboard",
        ("SaaS dashboard UI", "cards and charts", "sidebar navigation"),
        ("skeuomorphic", "3d charts"),
        width=1344,
        height=768,
        profile=QualityProfile(steps=8, guidance=3.5),
    ),
    Preset(
        "mobile_screen",
        "Mobile screen",
        ("mobile app screen UI", "thumb-friendly controls", "bottom navigation"),
        ("desktop layout", "tiny tap targets"),
        width=768,
        height=1344,
        profile=QualityProfile(steps=8, guidance=3.5),
    ),
)

NEGATIVE_BANK = (
    "unreadable text",
    "misaligned grid",
    "inconsistent spacing",
    "low contrast",
    "photograph of a screen",
    "watermark",
)

MUTATIONS = {
    1: ("two-column layout", "card grid layout", "split hero layout", "stacked sections"),
    2: ("dark mode", "light airy theme", "high contrast accessible theme", "warm brand theme"),
    3: ("dense information", "generous whitespace", "accent colour buttons", "muted greys"),
}

FIELDS = {"framework": ("html_tailwind", "react"), "theme": ("light", "dark")}


def build_prompt(subject: str, preset: Preset, fields: Mapping[str, Any]) -> str:
    theme = fields.get("theme") or "light"
    return join_prompt(
        f"{preset.tokens[0]} for {subject}",
        preset,
        f"{theme} theme",
        "8-point spacing grid, consistent typography scale",
    )


ROUTES = (
    route("together/flux-1-schnell", "standard"),
    route("fal/flux-dev", "hd"),
    route("comfyui/sdxl-txt2img", "standard", tools=("dashboard", "landing_page")),
    route("pollinations/flux", "standard", "hd"),
)

MODE = ModeContract(
    id="uiux",
    name="UI/UX",
    description="Interface mockups as images, and HTML/Tailwind or React code with a preview.",
    target_audience="Product designers and front-end developers",
    output_types=("mockup", "code"),
    export_formats=("png", "html", "react"),
    status=ModeStatus.BETA,
    studio_path="/uiux/studio",
    presets=PRESETS,
    default_preset="landing_page",
    build_prompt=build_prompt,
    negative_bank=NEGATIVE_BANK,
    mutations=MUTATIONS,
    constraints=QualityConstraints(min_size=512, max_size=2048, transparent=False),
    routes=ROUTES,
    exporters={},
    fields=FIELDS,
)

register_asset_modes = plugin(MODE)
