"""Emoji mode: expressive glyphs readable at 16 px, exported as size sets."""

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
from reelforge.apps.assets.exporters.emoji_set import EmojiSetExporter
from reelforge.apps.assets.modes.base import join_prompt, plugin, presets, route

PRESETS = presets(
    Preset(
        "face",
        "Face emoji",
        ("round emoji face", "expressive", "glossy"),
        ("realistic human face", "body"),
        width=512,
        height=512,
        profile=QualityProfile(steps=4, guidance=3.5),
    ),
    Preset(
        "object",
        "Object emoji",
        ("emoji-style object", "chunky shapes", "soft highlight"),
        ("tiny details",),
        width=512,
        height=512,
        profile=QualityProfile(steps=4, guidance=3.0),
    ),
    Preset(
        "reaction",
        "Reaction sticker",
        ("reaction emoji sticker", "exaggerated expression", "thick white border"),
        ("speech bubbles with text",),
        width=512,
        height=512,
        profile=QualityProfile(steps=6, guidance=3.5),
    ),
)

NEGATIVE_BANK = (
    "text",
    "letters",
    "thin lines",
    "cluttered background",
    "photographic",
    "watermark",
)

MUTATIONS = {
    1: ("tilted head", "winking", "looking up", "side glance"),
    2: ("bright cheerful glow", "sleepy dim mood", "neon party light", "rainy blue mood"),
    3: ("extra sparkle details", "flat minimal shading", "pastel colours", "saturated colours"),
}

FIELDS = {"platform": ("generic", "slack", "discord"), "skin_tone": ("none", "light", "dark")}


def build_prompt(subject: str, preset: Preset, fields: Mapping[str, Any]) -> str:
    platform = fields.get("platform") or "generic"
    return join_prompt(
        f"{preset.tokens[0]}: {subject}",
        preset,
        f"{platform} emoji style",
        "legible at 16 pixels",
        "isolated on a transparent background",
    )


ROUTES = (
    route("together/flux-1-schnell", "standard"),
    route("fal/flux-dev", "hd"),
    route("huggingface/flux-1-dev", "hd"),
    route("pollinations/flux", "standard", "hd"),
)

MODE = ModeContract(
    id="emoji",
    name="Emoji",
    description="Custom emoji and reaction stickers exported as exact size sets.",
    target_audience="Communities, streamers and chat workspaces",
    output_types=("emoji", "sticker"),
    export_formats=("png", "emoji_set"),
    status=ModeStatus.STABLE,
    studio_path="/emoji/studio",
    presets=PRESETS,
    default_preset="face",
    build_prompt=build_prompt,
    negative_bank=NEGATIVE_BANK,
    mutations=MUTATIONS,
    constraints=QualityConstraints(min_size=16, max_size=512, transparent=True),
    routes=ROUTES,
    exporters={"emoji_set": EmojiSetExporter},
    fields=FIELDS,
)

register_asset_modes = plugin(MODE)
