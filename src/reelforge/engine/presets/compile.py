"""Preset + inputs + quality level → an ordinary pipeline document.

Pure: the caller says which models are available now (a provider connected, or served by
the sandbox) and gives media inputs already resolved to artifact ids. A step is included
when its ``when`` holds; its first available engine option is the node's model and the
other available ones become its fallbacks (each with its own params, since models name
the same setting differently). A step with no available option fails the whole compile
with DEPENDENCY_MISSING naming what to install, before anything is stored or paid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.presets.library import PresetLibrary
from reelforge.engine.presets.schema import EngineOption, Preset, Quality, Source, Step


@dataclass(frozen=True)
class Uploaded:
    """Media the user gave: one or more artifact ids (identity references: up to 3)."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class FromStep:
    """Media made by a node of the run (a chained preset's input)."""

    node: str


# None: available; else why not ("kling is not connected").
Availability = Callable[[str], str | None]
# The modes a model does, its primary mode first (from the catalog).
Modes = Callable[[str], list[str]]


@dataclass
class Compiled:
    pipeline: Pipeline
    final: list[str]  # the node ids whose outputs are the preset's result
    engines: dict[str, str]  # node id → the model chosen for it
    steps: list[dict[str, Any]] = field(default_factory=list)  # what ran and why (for show)
    needs_consent: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class _Build:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, str]] = field(default_factory=list)
    engines: dict[str, str] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    needs_consent: bool = False
    modes: Modes | None = None


# A storyboard's captions param set to this: the prompts of the shots it lays out.
CAPTIONS = "{captions}"
_FIELD = re.compile(r"\{([a-z_]+)\}")


def render(template: str, values: dict[str, Any], extra: dict[str, Any] | None = None) -> str:
    """``{name}`` replaced by the input's text (missing optional inputs: empty); other
    braces are left as they are, so prompts may contain them."""
    scope = {**values, **(extra or {})}

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in scope:
            return match.group(0)
        value = scope[name]
        return "" if value is None or isinstance(value, Uploaded | FromStep) else str(value)

    text = _FIELD.sub(one, template)
    if extra:  # the inputs' own text may name them ("shot {shot_number}: ...")
        text = _FIELD.sub(lambda m: str(extra.get(m.group(1), m.group(0))), text)
    return re.sub(r"\s+,", ",", re.sub(r"\s{2,}", " ", text)).strip(" ,")


def compile_preset(
    library: PresetLibrary,
    preset: Preset,
    values: dict[str, Any],
    quality: Quality,
    available: Availability,
    *,
    consent: bool = False,
    exclude: frozenset[str] = frozenset(),
    modes: Modes | None = None,
) -> Compiled:
    build = _Build(modes=modes)
    final = _compile_into(
        build, library, preset, values, quality, available, consent, exclude, prefix=""
    )
    pipeline = Pipeline.model_validate(
        {"name": f"preset {preset.id} ({quality})", "nodes": build.nodes, "edges": build.edges}
    )
    return Compiled(
        pipeline,
        final,
        build.engines,
        build.steps,
        needs_consent=build.needs_consent,
        notes=build.notes,
    )


def step_included(preset: Preset, step: Step, values: dict[str, Any], quality: Quality) -> bool:
    when = step.when
    if when is None:
        return True
    if when.quality is not None and quality not in when.quality:
        return False
    if when.inputs and any(values.get(n) is None for n in when.inputs):
        return False
    if when.no_inputs and any(values.get(n) is not None for n in when.no_inputs):
        return False
    if when.flag is not None:
        given = values.get(when.flag)
        on = (
            given
            if isinstance(given, bool)
            else preset.quality_levels[quality].flags.get(when.flag)
        )
        if not on:
            return False
    return True


def _compile_into(
    build: _Build,
    library: PresetLibrary,
    preset: Preset,
    values: dict[str, Any],
    quality: Quality,
    available: Availability,
    consent: bool,
    exclude: frozenset[str],
    prefix: str,
) -> list[str]:
    made: dict[str, list[str]] = {}  # step id → its node ids (several when repeated)
    last: list[str] = []
    if any(values.get(n) is not None for n in preset.consent_inputs) or preset.requires_consent:
        build.needs_consent = True
    for step in preset.steps:
        if not step_included(preset, step, values, quality):
            build.steps.append({"step": prefix + step.id, "title": step.title, "included": False})
            continue
        if step.preset is not None:
            sub = library.get(step.preset)
            sub_values = {
                name: _resolve_value(ref, values, made) for name, ref in step.preset_inputs.items()
            }
            sub_values = {k: v for k, v in sub_values.items() if v is not None}
            nodes = _compile_into(
                build,
                library,
                sub,
                sub_values,
                step.preset_quality.get(quality, quality),
                available,
                consent,
                exclude,
                prefix=f"{prefix}{step.id}-",
            )
            made[step.id] = nodes
            last = nodes
            continue
        if step.identity:
            build.needs_consent = True
        options = _available_options(preset, step, quality, available, exclude)
        mode = step.mode
        if build.modes is not None:
            # A fallback must do the step's mode (a GFPGAN upscaler's stand-in that only
            # sharpens is another way to do the step, not a fallback of the node).
            mode = mode or build.modes(options[0].model)[0]
            options = [options[0]] + [o for o in options[1:] if mode in build.modes(o.model)]
        count = _repeat_count(preset, step, values, quality)
        ids = [
            f"{prefix}{step.id}" if count is None else f"{prefix}{step.id}_{i + 1}"
            for i in _range(count)
        ]
        for index, node_id in enumerate(ids):
            shot = {"shot_number": index + 1}
            node = _node(node_id, step, options, values, quality, consent, shot)
            if step.mode:
                node["mode"] = step.mode
            build.nodes.append(node)
            build.engines[node_id] = options[0].model
            for source in step.sources:
                _wire(build, node, source, values, made, index if count else None)
            if node["params"].get("captions") == CAPTIONS:
                node["params"]["captions"] = _captions(build, node["id"])
        build.steps.append(
            {
                "step": prefix + step.id,
                "title": step.title,
                "included": True,
                "nodes": ids,
                "model": options[0].model,
                "fallbacks": [o.model for o in options[1:]],
                **({"note": options[0].note} if options[0].note else {}),
            }
        )
        if options[0].note:
            build.notes.append(f"{prefix}{step.id}: {options[0].note}")
        made[step.id] = ids
        last = ids
    return last


def _captions(build: _Build, node_id: str) -> str:
    prompts = {n["id"]: n.get("prompt", "") for n in build.nodes}
    sources = [e["from"] for e in build.edges if e["to"].split(".", 1)[0] == node_id]
    return "\n".join(prompts.get(s, "")[:120] for s in sources)


def _range(count: int | None) -> range:
    return range(1 if count is None else count)


def _repeat_count(
    preset: Preset, step: Step, values: dict[str, Any], quality: Quality
) -> int | None:
    if step.repeat is None:
        return None
    given = values.get(step.repeat)
    if given is None:
        given = preset.quality_levels[quality].values.get(step.repeat, 1)
    return int(given)


def _available_options(
    preset: Preset,
    step: Step,
    quality: Quality,
    available: Availability,
    exclude: frozenset[str],
) -> list[EngineOption]:
    usable: list[EngineOption] = []
    why: dict[str, str] = {}
    for option in step.engines:
        if option.qualities is not None and quality not in option.qualities:
            continue
        if option.model in exclude:
            why[option.model] = "excluded (it failed before)"
            continue
        reason = available(option.model)
        if reason is None:
            usable.append(option)
        else:
            why[option.model] = reason
    if usable:
        return usable
    raise ReelForgeError(
        ErrorCode.DEPENDENCY_MISSING,
        f"{preset.name}: nothing available can do the step {step.title!r}. {step.missing}",
        detail={"preset": preset.id, "step": step.id, "install": step.missing, "engines": why},
        remediation=(
            step.missing,
            "See `reelforge providers list` (GET /v1/providers) for what is connected.",
            "Or turn sandbox mode on (REELFORGE_SANDBOX=true) to try it with emulated results.",
        ),
    )


def option_params(option: EngineOption, values: dict[str, Any], quality: Quality) -> dict[str, Any]:
    params = {**option.params, **option.quality.get(quality, {})}
    for param, name in option.params_from_inputs.items():
        if values.get(name) is not None:
            params[param] = values[name]
    return params


def _node(
    node_id: str,
    step: Step,
    options: list[EngineOption],
    values: dict[str, Any],
    quality: Quality,
    consent: bool,
    shot: dict[str, Any],
) -> dict[str, Any]:
    first, rest = options[0], options[1:]
    node: dict[str, Any] = {
        "id": node_id,
        "model": first.model,
        "params": option_params(first, values, quality),
        "fallbacks": [
            {"model": o.model, "params": option_params(o, values, quality)} for o in rest
        ],
        "consent": consent,
        "inputs": [],
    }
    if step.prompt is not None:
        node["prompt"] = render(step.prompt, values, shot)
    if step.negative_prompt is not None:
        negative = render(step.negative_prompt, values, shot)
        if negative:
            node["negative_prompt"] = negative
    if step.use_seed and values.get("seed") is not None:
        node["seed"] = int(values["seed"]) + shot["shot_number"] - 1
    return node


def _resolve_value(ref: Any, values: dict[str, Any], made: dict[str, list[str]]) -> Any:
    if isinstance(ref, list):
        found = (_resolve_value(r, values, made) for r in ref)
        return next((v for v in found if v is not None), None)
    if not isinstance(ref, str):
        return ref
    kind, _, name = ref.partition(":")
    if kind == "input":
        return values.get(name)
    if kind == "step":
        nodes = made.get(name)
        return FromStep(nodes[-1]) if nodes else None
    return ref


def _wire(
    build: _Build,
    node: dict[str, Any],
    source: Source,
    values: dict[str, Any],
    made: dict[str, list[str]],
    shot: int | None,
) -> None:
    target = node["id"] if source.slot is None else f"{node['id']}.{source.slot}"
    for ref in source.from_:
        kind, _, name = ref.partition(":")
        if kind == "step" and made.get(name):
            nodes = made[name]
            if source.each and shot is not None and len(nodes) > 1:
                nodes = [nodes[shot]]  # shot i of a repeated step feeds shot i
            elif not source.each:
                nodes = nodes[-1:]
            for source_node in nodes:
                build.edges.append({"from": source_node, "to": target})
            return
        if kind == "input":
            value = values.get(name)
            if isinstance(value, FromStep):
                build.edges.append({"from": value.node, "to": target})
                return
            if isinstance(value, Uploaded):
                for artifact_id in value.ids[: source.max_items]:
                    node["inputs"].append({"artifact_id": artifact_id, "slot": source.slot})
                return
