"""The mode contract (seed 004, "Mode Isolation Model"): what one asset mode declares.

A mode is a sealed module (``apps/assets/modes/<id>.py``) that builds one ``ModeContract``
from its own data: prompt scaffolding, presets (the seed's "tools"), negative bank,
variant mutation table, quality constraints, provider routing and exporters. Nothing here
is shared between modes except the shape; the pipeline only reads the contract.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

Tier = Literal["standard", "hd"]


class ModeStatus(StrEnum):
    STABLE = "stable"
    BETA = "beta"


@dataclass(frozen=True)
class QualityProfile:
    """Steps and guidance a preset asks for (step 8: quality profile resolution)."""

    steps: int
    guidance: float


@dataclass(frozen=True)
class Preset:
    """One tool of a mode: its prompt tokens, negatives, size and quality profile."""

    id: str
    name: str
    tokens: tuple[str, ...]
    negatives: tuple[str, ...] = ()
    width: int = 1024
    height: int = 1024
    profile: QualityProfile = QualityProfile(steps=4, guidance=3.5)
    # Vector presets: how many colours the vectoriser keeps; pixel: palette size.
    colors: int | None = None


@dataclass(frozen=True)
class QualityConstraints:
    """What every output of the mode must satisfy (sizes, palette, transparency)."""

    min_size: int
    max_size: int
    transparent: bool
    max_palette: int | None = None


@dataclass(frozen=True)
class ProviderRoute:
    """One catalog model the mode may use, in the quality matrix's terms (step 7)."""

    model: str  # catalog id, e.g. together/flux-1-schnell
    tiers: frozenset[str]  # "standard", "hd"
    native_negative: bool  # takes a negative prompt itself (else it is folded)
    needs_key: bool
    # Presets this provider serves natively (empty: every preset of the mode).
    tools: frozenset[str] = frozenset()
    # Our quality profile in the model's own parameter names.
    steps_param: str | None = None
    guidance_param: str | None = None
    size_params: Literal["width_height", "fal_image_size", "aspect_ratio", "none"] = "width_height"
    max_steps: int | None = None

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0]


class PromptSchema(Protocol):
    """A mode's own prompt scaffolding: the subject → the full positive prompt."""

    def __call__(self, subject: str, preset: Preset, fields: Mapping[str, Any]) -> str: ...


class AssetExporter(Protocol):
    """Turns generated images into a mode's export format (seed: ``AssetExporter``)."""

    format: str
    content_type: str

    def export(self, images: list[bytes], options: Mapping[str, Any]) -> dict[str, bytes]:
        """Files by name (e.g. ``sheet.png``, ``atlas.json``)."""
        ...


@dataclass(frozen=True)
class ModeContract:
    id: str
    name: str
    description: str
    target_audience: str
    output_types: tuple[str, ...]
    export_formats: tuple[str, ...]
    status: ModeStatus
    studio_path: str
    # -- the mode's sealed parts (data; see each mode module) -----------------------
    presets: Mapping[str, Preset]
    default_preset: str
    build_prompt: PromptSchema
    negative_bank: tuple[str, ...]  # the mode's global negatives
    # Slot → mutation phrases (slot 0 canonical: none); chosen by seed within a slot.
    mutations: Mapping[int, tuple[str, ...]]
    constraints: QualityConstraints
    routes: tuple[ProviderRoute, ...]
    exporters: Mapping[str, Callable[[], AssetExporter]] = field(default_factory=dict)
    # Fields the mode's prompt schema accepts beyond the subject (name → allowed values).
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_prompt_chars: int = 600

    def preset(self, preset_id: str | None) -> Preset:
        from reelforge.domain.errors import ErrorCode, ReelForgeError

        key = preset_id or self.default_preset
        found = self.presets.get(key)
        if found is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"The {self.name} mode has no preset {key!r}.",
                remediation=(f"Use one of: {', '.join(sorted(self.presets))}.",),
                detail={"mode": self.id, "preset": key, "presets": sorted(self.presets)},
            )
        return found

    def describe(self) -> dict[str, Any]:
        """The contract as the API shows it (no callables)."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "target_audience": self.target_audience,
            "output_types": list(self.output_types),
            "export_formats": list(self.export_formats),
            "exporters": sorted(self.exporters),  # formats POST /v1/assets/{mode}/export makes
            "status": self.status.value,
            "studio_path": self.studio_path,
            "default_preset": self.default_preset,
            "presets": [
                {
                    "id": p.id,
                    "name": p.name,
                    "width": p.width,
                    "height": p.height,
                    "steps": p.profile.steps,
                    "guidance": p.profile.guidance,
                    "colors": p.colors,
                }
                for p in self.presets.values()
            ],
            "fields": {k: list(v) for k, v in self.fields.items()},
            "constraints": {
                "min_size": self.constraints.min_size,
                "max_size": self.constraints.max_size,
                "transparent": self.constraints.transparent,
                "max_palette": self.constraints.max_palette,
            },
            "providers": [
                {
                    "model": r.model,
                    "tiers": sorted(r.tiers),
                    "native_negative": r.native_negative,
                    "needs_key": r.needs_key,
                }
                for r in self.routes
            ],
        }
