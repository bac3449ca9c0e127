"""How a built-in asset mode is put together; none of any mode's own data lives here.

Each mode module keeps what the seed seals per mode (its presets, prompt scaffolding,
negative bank, mutation table, quality constraints, the models it routes to at which tier
and for which tools, its exporters) and builds its ``ModeContract`` with these helpers:

- ``presets(...)``: the preset table keyed by id (a repeated id is refused);
- ``route(model, *tiers, tools=...)``: a ``ProviderRoute`` whose parameter facts (native
  negatives, key, the quality profile's parameter names) come from ``MODEL_FACTS``: they
  are facts about the catalog model, the same whichever mode routes to it;
- ``join_prompt(head, preset, *tail)``: the comma-joined scaffold every prompt schema ends in;
- ``plugin(contract)``: the module's ``register_asset_modes`` hook implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from reelforge.apps.assets.contract import ModeContract, Preset, ProviderRoute, Tier
from reelforge.apps.assets.modes.registry import hookimpl


@dataclass(frozen=True)
class ModelFacts:
    """What a catalog model takes, in ``ProviderRoute``'s terms (see quality_matrix)."""

    native_negative: bool
    needs_key: bool
    steps_param: str | None = None
    guidance_param: str | None = None
    size_params: Literal["width_height", "fal_image_size", "aspect_ratio", "none"] = "width_height"
    max_steps: int | None = None


_HF_INFERENCE = ModelFacts(
    native_negative=True,
    needs_key=True,
    steps_param="num_inference_steps",
    guidance_param="guidance_scale",
)
_COMFYUI_TXT2IMG = ModelFacts(
    native_negative=True, needs_key=False, steps_param="steps", guidance_param="cfg"
)

# Catalog id → facts; tests/unit/test_assets_modes.py checks them against the catalog.
MODEL_FACTS: dict[str, ModelFacts] = {
    "together/flux-1-schnell": ModelFacts(
        native_negative=True, needs_key=True, steps_param="steps", max_steps=12
    ),
    "fal/flux-dev": ModelFacts(
        native_negative=False,
        needs_key=True,
        steps_param="num_inference_steps",
        guidance_param="guidance_scale",
        size_params="fal_image_size",
    ),
    "replicate/flux-1.1-pro": ModelFacts(
        native_negative=False, needs_key=True, size_params="aspect_ratio"
    ),
    "replicate/flux-schnell": ModelFacts(
        native_negative=False,
        needs_key=True,
        steps_param="num_inference_steps",
        size_params="aspect_ratio",
        max_steps=4,
    ),
    "huggingface/flux-1-schnell": _HF_INFERENCE,
    "huggingface/flux-1-dev": _HF_INFERENCE,
    "huggingface/sdxl-base-1.0": _HF_INFERENCE,
    "comfyui/sd15-txt2img": _COMFYUI_TXT2IMG,
    "comfyui/sdxl-txt2img": _COMFYUI_TXT2IMG,
    "pollinations/flux": ModelFacts(native_negative=False, needs_key=False),
}


def presets(*items: Preset) -> dict[str, Preset]:
    """A mode's presets by id, in the order given."""
    table: dict[str, Preset] = {}
    for preset in items:
        if preset.id in table:
            raise ValueError(f"preset {preset.id!r} is declared twice")
        table[preset.id] = preset
    return table


def route(model: str, *tiers: Tier, tools: tuple[str, ...] = ()) -> ProviderRoute:
    """A route to ``model`` at ``tiers``; ``tools``: the presets it serves natively (all
    of the mode's when empty)."""
    facts = MODEL_FACTS.get(model)
    if facts is None:
        raise ValueError(
            f"no model facts for {model!r}: add it to MODEL_FACTS or build a ProviderRoute"
        )
    if not tiers:
        raise ValueError(f"route to {model!r} names no tier")
    return ProviderRoute(
        model,
        frozenset(tiers),
        native_negative=facts.native_negative,
        needs_key=facts.needs_key,
        tools=frozenset(tools),
        steps_param=facts.steps_param,
        guidance_param=facts.guidance_param,
        size_params=facts.size_params,
        max_steps=facts.max_steps,
    )


def join_prompt(head: str, preset: Preset, *tail: str) -> str:
    """``head`` (the preset's first token with the subject, in the mode's words), the
    preset's other tokens, then the mode's own ``tail``, comma-joined."""
    return ", ".join((head, *preset.tokens[1:], *tail))


def plugin(contract: ModeContract) -> Callable[[Callable[[ModeContract], None]], None]:
    """The ``register_asset_modes`` hook of a module that provides ``contract``."""

    @hookimpl
    def register_asset_modes(register: Callable[[ModeContract], None]) -> None:
        register(contract)

    return register_asset_modes
