"""Catalog entries: one Model = provider + model id + modes + price + parameter schema.

Curated entries are data files (``catalog/data/<provider>.json``, a list of ModelEntry
objects); live ones (Atlas Cloud) are built by discovery into the same shape.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reelforge.domain.modes import MediaKind, Mode


class PriceBasis(StrEnum):
    PER_GENERATION = "per_generation"
    PER_SECOND = "per_second"  # of output video/audio; quotes use the requested duration
    PER_IMAGE = "per_image"  # times the number of images requested


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # None means the provider publishes no price: quotes say "unknown", never invent one.
    micros: int | None = Field(default=None, ge=0)
    basis: PriceBasis = PriceBasis.PER_GENERATION
    source: str = ""  # where the figure comes from (pricing page, API field, reference doc)
    as_of: date | None = None

    @property
    def known(self) -> bool:
        return self.micros is not None


class MediaSlot(BaseModel):
    """A media input a model takes: the canvas draws it as an input port."""

    model_config = ConfigDict(extra="forbid")

    name: str  # "image", "end_image", "audio", "video"
    kind: MediaKind
    required: bool = True
    # Identity references (a real person's face/voice) require the consent flag.
    identity: bool = False
    # A list slot takes several inputs (edges in edge order, then uploads), between
    # ``min_items`` (default: 1 when required) and ``max_items`` (None = no limit).
    multiple: bool = False
    min_items: int | None = Field(default=None, ge=0)
    max_items: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _cardinality(self) -> MediaSlot:
        if not self.multiple and ((self.min_items or 0) > 1 or (self.max_items or 1) > 1):
            raise ValueError(f"slot {self.name!r}: min_items/max_items above 1 need multiple")
        if self.max_items is not None and self.least > self.max_items:
            raise ValueError(f"slot {self.name!r}: min_items is above max_items")
        return self

    @property
    def least(self) -> int:
        """The fewest inputs the slot takes when it is filled at all (an optional slot may
        also be left empty)."""
        return max(self.min_items or 1, 1)

    @property
    def most(self) -> int | None:
        """The most inputs the slot takes (None = no limit)."""
        return self.max_items if self.multiple else 1


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    durations: list[float] = Field(default_factory=list)  # allowed seconds, empty = any/none
    aspect_ratios: list[str] = Field(default_factory=list)
    resolutions: list[str] = Field(default_factory=list)
    # The model's own prompt limit (characters); the server's cap applies on top.
    max_prompt_chars: int | None = Field(default=None, ge=1)


class Features(BaseModel):
    model_config = ConfigDict(extra="forbid")

    negative_prompt: bool = False
    seed: bool = False
    audio: bool = False  # generates sound with the video
    last_frame: bool = False  # accepts an end frame
    callbacks: bool = False


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str  # "<provider>/<model>", what users and pipelines name
    provider: str
    provider_model: str  # the provider's own model id, sent on the wire
    label: str
    modes: list[Mode]
    output_kind: MediaKind
    price: Price = Field(default_factory=Price)
    # JSON-Schema subset (object with properties); see catalog.schema for what is allowed.
    params_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    # Always sent, never user-editable (e.g. kling/t2v_5s = duration 5).
    fixed_params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[MediaSlot] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    features: Features = Field(default_factory=Features)
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    # Live entries (discovery) say where and when they were seen.
    live: bool = False
    # Edit and upscale models output the kind of media they receive (a graded clip is a
    # clip); False for those that always make ``output_kind`` (a storyboard, a last frame).
    keeps_input_kind: bool = True

    @model_validator(mode="after")
    def _check(self) -> ModelEntry:
        if self.id.split("/", 1)[0] != self.provider or "/" not in self.id:
            raise ValueError(f"model id {self.id!r} must be '<provider>/<model>'")
        if not self.modes:
            raise ValueError(f"model {self.id!r} has no mode")
        return self

    @property
    def primary_mode(self) -> Mode:
        return self.modes[0]
