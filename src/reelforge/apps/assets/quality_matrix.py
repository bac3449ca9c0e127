"""The provider quality matrix per mode and tier (step 7) and the quality profile in each
model's parameter names (step 8): ``resolve_chain(mode, tool, tier)`` is the seed's
``resolveOptimalProvider`` with its fallback chain behind it.

Order: models that serve the tier, those that serve the tool natively first, then those
that take negative prompts natively, then the declared order; models of providers that are
not connected move to the back, and the no-key fallback (Pollinations) is always last.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reelforge.apps.assets.contract import ModeContract, Preset, ProviderRoute, Tier
from reelforge.domain.errors import ErrorCode, ReelForgeError

# fal's named sizes by aspect (width / height).
_FAL_SIZES = (
    (1.0, "square_hd"),
    (4 / 3, "landscape_4_3"),
    (16 / 9, "landscape_16_9"),
    (3 / 4, "portrait_4_3"),
    (9 / 16, "portrait_16_9"),
)
_RATIOS = ((1.0, "1:1"), (16 / 9, "16:9"), (4 / 3, "4:3"), (3 / 4, "3:4"), (9 / 16, "9:16"))


@dataclass(frozen=True)
class Choice:
    route: ProviderRoute
    native_tool: bool
    reasons: tuple[str, ...]


def resolve_chain(
    mode: ModeContract, tool: str, tier: Tier, connected: Iterable[str] | None = None
) -> list[Choice]:
    live = set(connected) if connected is not None else None
    ranked: list[tuple[tuple[int, ...], Choice]] = []
    for index, route in enumerate(mode.routes):
        if tier not in route.tiers:
            continue
        native_tool = not route.tools or tool in route.tools
        reasons = [
            f"serves {tier}",
            "tool native" if native_tool else "tool not native",
            "native negatives" if route.native_negative else "negatives folded",
        ]
        offline = live is not None and route.needs_key and route.provider not in live
        if offline:
            reasons.append("provider not connected")
        key = (
            int(not route.needs_key),  # the no-key fallback always last
            int(offline),
            int(not native_tool),
            int(not route.native_negative),
            index,
        )
        ranked.append((key, Choice(route, native_tool, tuple(reasons))))
    if not ranked:
        raise ReelForgeError(
            ErrorCode.ENGINE_OFFLINE,
            f"No provider serves the {mode.name} mode at {tier} quality.",
            remediation=("Use standard quality, or add a provider route for this tier.",),
            detail={"mode": mode.id, "tier": tier},
        )
    return [c for _, c in sorted(ranked, key=lambda kv: kv[0])]


def _nearest(aspect: float, table: tuple[tuple[float, str], ...]) -> str:
    return min(table, key=lambda item: abs(item[0] - aspect))[1]


def model_params(route: ProviderRoute, preset: Preset) -> dict[str, Any]:
    """The preset's size and quality profile in the model's own words."""
    params: dict[str, Any] = {}
    aspect = preset.width / preset.height
    if route.size_params == "width_height":
        params.update(width=preset.width, height=preset.height)
    elif route.size_params == "fal_image_size":
        params["image_size"] = _nearest(aspect, _FAL_SIZES)
    elif route.size_params == "aspect_ratio":
        params["aspect_ratio"] = _nearest(aspect, _RATIOS)
    if route.steps_param:
        steps = preset.profile.steps
        if route.max_steps is not None:
            steps = min(steps, route.max_steps)
        params[route.steps_param] = steps
    if route.guidance_param:
        params[route.guidance_param] = preset.profile.guidance
    return params
