"""The preset document (seed 001 §2.1.3, §5): a named pipeline template as data.

A preset file is validated when the library loads (a broken file fails the start, naming
the file and the field). Steps are templates the compiler (``compile.py``) turns into the
nodes of an ordinary pipeline: each names engine options in preference order (the first
one available serves, the next available ones are its fallbacks), the params each option
takes at each quality level, and when the step is included at all.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reelforge.domain.errors import ErrorCode

Quality = Literal["low", "standard", "pro"]
QUALITIES: tuple[Quality, ...] = ("low", "standard", "pro")
Category = Literal[
    "image_generation",
    "video_generation",
    "character_performance",
    "post_processing",
    "hybrid_pipeline",
]
InputType = Literal[
    "text", "integer", "number", "boolean", "choice", "image", "video", "audio",
    "identity_reference", "run",
]  # fmt: skip
MEDIA_TYPES = frozenset({"image", "video", "audio"})
_ID = re.compile(r"^[a-z0-9_]+_v[0-9]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PresetInput(Strict):
    type: InputType
    title: str
    description: str = ""
    required: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    choices: list[str] = Field(default_factory=list)


class EngineOption(Strict):
    """One model that can serve a step, with what it is given at each quality level."""

    model: str = Field(min_length=3, description="A catalog id, e.g. fal/flux-dev.")
    params: dict[str, Any] = Field(default_factory=dict)
    quality: dict[Quality, dict[str, Any]] = Field(default_factory=dict)
    # Params copied from the preset's inputs: {"<param>": "<input name>"}.
    params_from_inputs: dict[str, str] = Field(default_factory=dict)
    note: str = ""  # e.g. "local approximation of GFPGAN"
    # Offered only at these levels (e.g. a pro-only model); None: at every level.
    qualities: list[Quality] | None = None


class Source(Strict):
    """Where a step's media comes from: the first of ``from`` that is present (a step
    included in this run, or an input that was given); ``each``: every shot of a repeated
    step, in order."""

    from_: list[str] = Field(alias="from", min_length=1)
    slot: str | None = None
    each: bool = False
    # Identity references go to single-image slots one at a time: how many to pass.
    max_items: int = Field(default=1, ge=1, le=3)


class When(Strict):
    """The step is included when every condition given holds."""

    quality: list[Quality] | None = None
    inputs: list[str] | None = None  # all given
    no_inputs: list[str] | None = None  # none given
    flag: str | None = None  # a quality level flag (or the boolean input of that name)


class Step(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=40)
    title: str
    when: When | None = None
    sources: list[Source] = Field(default_factory=list)
    engines: list[EngineOption] = Field(default_factory=list)
    # The mode the node runs in (a model doing several, e.g. t2v and i2v); default: the
    # first option's primary mode. Fallbacks must do it.
    mode: str | None = None
    # A step made of another preset (ugc_clip_builder_v1 chains presets): its inputs map
    # the sub-preset's input names to "input:<name>", "step:<id>" or a literal value (a
    # list of refs: the first one present).
    preset: str | None = None
    preset_inputs: dict[str, Any] = Field(default_factory=dict)
    # The chained preset's level at each of ours (default: the same level).
    preset_quality: dict[Quality, Quality] = Field(default_factory=dict)
    prompt: str | None = None  # "{prompt}" style template over the inputs
    negative_prompt: str | None = None
    use_seed: bool = False
    identity: bool = False  # uses a face or voice: the run needs consent
    # Repeat the step once per shot (storyboard): the count comes from this input, else
    # the quality level's value of the same name.
    repeat: str | None = None
    missing: str = Field(
        default="",
        description="What to install or connect when no engine is available (DEPENDENCY_MISSING).",
    )

    @model_validator(mode="after")
    def _engines_or_preset(self) -> Step:
        if (self.preset is None) == (not self.engines):
            raise ValueError(f"step {self.id!r}: give engines or a preset (exactly one)")
        if self.engines and not self.missing:
            raise ValueError(f"step {self.id!r}: say what to install when no engine is available")
        return self


class QualityLevel(Strict):
    description: str
    flags: dict[str, bool] = Field(default_factory=dict)
    values: dict[str, int | float | str] = Field(default_factory=dict)


class FailureMode(Strict):
    message: str
    remediation: list[str] = Field(min_length=1)


class Preset(Strict):
    id: str
    version: int = Field(ge=1)
    name: str
    goal: str
    description: str = ""
    category: Category
    inputs: dict[str, PresetInput]
    # Engine families in preference order (the seed's engine_preference_order); the exact
    # models are in each step's engines.
    engine_preference_order: list[str] = Field(min_length=1)
    quality_levels: dict[Quality, QualityLevel]
    steps: list[Step] = Field(default_factory=list)
    safety_notes: list[str] = Field(default_factory=list)
    requires_consent: bool = False
    consent_inputs: list[str] = Field(
        default_factory=list, description="Inputs that, when given, need consent."
    )
    one_of: list[list[str]] = Field(
        default_factory=list, description="Groups of inputs of which at least one is needed."
    )
    failure_modes: dict[ErrorCode, FailureMode] = Field(default_factory=dict)
    kind: Literal["pipeline", "repair"] = "pipeline"

    @model_validator(mode="after")
    def _consistent(self) -> Preset:
        if not _ID.match(self.id):
            raise ValueError(f"id {self.id!r} must look like name_v1")
        if not self.id.endswith(f"_v{self.version}"):
            raise ValueError(f"id {self.id!r} does not end with its version _v{self.version}")
        if set(self.quality_levels) != set(QUALITIES):
            raise ValueError("quality_levels must be exactly low, standard and pro")
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError("step ids must be unique")
        if self.kind == "pipeline" and not self.steps:
            raise ValueError("a pipeline preset needs steps")
        known = set(self.inputs)
        for name in [*self.consent_inputs, *(n for group in self.one_of for n in group)]:
            if name not in known:
                raise ValueError(f"consent_inputs names an unknown input {name!r}")
        seen: set[str] = set()
        for step in self.steps:
            for source in step.sources:
                for ref in source.from_:
                    _check_ref(ref, known, seen, step.id)
            for value in step.preset_inputs.values():
                for ref in value if isinstance(value, list) else [value]:
                    if isinstance(ref, str) and ref.startswith(("input:", "step:")):
                        _check_ref(ref, known, seen, step.id)
            for option in step.engines:
                for name in option.params_from_inputs.values():
                    if name not in known:
                        raise ValueError(f"step {step.id!r}: unknown input {name!r}")
            seen.add(step.id)
        return self


def _check_ref(ref: str, inputs: set[str], steps: set[str], where: str) -> None:
    kind, _, name = ref.partition(":")
    if kind == "input" and name in inputs:
        return
    if kind == "step" and name in steps:
        return
    raise ValueError(f"step {where!r}: source {ref!r} is neither a known input nor an earlier step")
