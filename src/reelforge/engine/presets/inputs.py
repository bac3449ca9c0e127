"""A preset's inputs: checked against the preset's types, media resolved to the caller's
artifacts, and drawn as a JSON schema a form can be built from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.engine.presets.compile import Uploaded
from reelforge.engine.presets.schema import MEDIA_TYPES, Preset, PresetInput
from reelforge.logs import redact

MAX_IDENTITY_IMAGES = 3


def _invalid(name: str, problem: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        f"Input {name!r}: {problem}.",
        detail={"problems": [{"field": f"inputs.{name}", "problem": problem}]},
    )


def check_inputs(preset: Preset, given: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs with their types checked (media are still artifact ids): unknown names
    are CONTRACT_MISMATCH, missing required ones too, wrong values VALIDATION_ERROR."""
    unknown = sorted(set(given) - set(preset.inputs))
    if unknown:
        raise ReelForgeError(
            ErrorCode.CONTRACT_MISMATCH,
            f"{preset.id} has no input(s) {', '.join(unknown)}.",
            detail={"unknown_fields": unknown, "allowed": sorted(preset.inputs)},
        )
    values: dict[str, Any] = {}
    for name, spec in preset.inputs.items():
        value = given.get(name)
        if value is None or value == "" or value == []:
            if spec.default is not None:
                values[name] = spec.default
            continue
        values[name] = _check_one(name, spec, value)
    missing = [n for n, s in preset.inputs.items() if s.required and values.get(n) is None]
    for group in preset.one_of:
        if all(values.get(n) is None for n in group):
            missing.append(" or ".join(group))
    if missing:
        raise ReelForgeError(
            ErrorCode.CONTRACT_MISMATCH,
            f"{preset.id} needs the input(s) {', '.join(missing)}.",
            detail={"missing_fields": missing},
        )
    return values


def _check_one(name: str, spec: PresetInput, value: Any) -> Any:
    kind = spec.type
    if kind in ("text", "run", "choice"):
        if not isinstance(value, str):
            raise _invalid(name, "must be a string")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise _invalid(name, f"is longer than {spec.max_length} characters")
        if kind == "choice" and value not in spec.choices:
            raise _invalid(name, f"must be one of {', '.join(spec.choices)}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _invalid(name, "must be true or false")
        return value
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _invalid(name, f"must be a{'n integer' if kind == 'integer' else ' number'}")
        if kind == "integer" and int(value) != value:
            raise _invalid(name, "must be an integer")
        if spec.minimum is not None and value < spec.minimum:
            raise _invalid(name, f"must be at least {spec.minimum:g}")
        if spec.maximum is not None and value > spec.maximum:
            raise _invalid(name, f"must be at most {spec.maximum:g}")
        return int(value) if kind == "integer" else float(value)
    if kind in MEDIA_TYPES:
        if not isinstance(value, str):
            raise _invalid(name, "must be an artifact id (upload the file first)")
        return value
    # identity_reference: 1-3 artifact ids or `character:<id>` (one alone is accepted too)
    ids = [value] if isinstance(value, str) else value
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _invalid(name, "must be a list of 1-3 image artifact ids or character:<id>")
    if not 1 <= len(ids) <= MAX_IDENTITY_IMAGES:
        raise _invalid(name, f"takes 1 to {MAX_IDENTITY_IMAGES} images")
    return list(ids)


def media_inputs(preset: Preset, values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Input name → the artifact ids it names (media and identity inputs only)."""
    out: dict[str, list[str]] = {}
    for name, spec in preset.inputs.items():
        value = values.get(name)
        if value is None:
            continue
        if spec.type in MEDIA_TYPES:
            out[name] = [value]
        elif spec.type == "identity_reference":
            out[name] = list(value)
    return out


def expected_kind(spec: PresetInput) -> MediaKind:
    return MediaKind.IMAGE if spec.type == "identity_reference" else MediaKind(spec.type)


def resolved(values: Mapping[str, Any], media: Mapping[str, list[str]]) -> dict[str, Any]:
    """The values the compiler takes: media as ``Uploaded``."""
    return {k: Uploaded(tuple(media[k])) if k in media else v for k, v in values.items()}


def recorded_inputs(values: Mapping[str, Any]) -> dict[str, Any]:
    """What the run keeps of what was asked (job history): secrets redacted."""
    return dict(redact(dict(values)))


def input_schema(preset: Preset) -> dict[str, Any]:
    """A JSON schema of the inputs (draw a form from it: titles, types, limits, media)."""
    properties: dict[str, Any] = {}
    for name, spec in preset.inputs.items():
        prop: dict[str, Any] = {"title": spec.title}
        if spec.description:
            prop["description"] = spec.description
        if spec.type in ("text", "run"):
            prop["type"] = "string"
            if spec.max_length:
                prop["maxLength"] = spec.max_length
        elif spec.type == "choice":
            prop.update(type="string", enum=list(spec.choices))
        elif spec.type in ("integer", "number", "boolean"):
            prop["type"] = spec.type
        elif spec.type in MEDIA_TYPES:
            prop.update(type="string", format="artifact-id", **{"x-media-kind": spec.type})
        else:
            prop.update(
                type="array",
                items={"type": "string", "format": "artifact-id", "x-media-kind": "image"},
                minItems=1,
                maxItems=MAX_IDENTITY_IMAGES,
                **{"x-identity": True},
            )
        if spec.minimum is not None:
            prop["minimum"] = spec.minimum
        if spec.maximum is not None:
            prop["maximum"] = spec.maximum
        if spec.default is not None:
            prop["default"] = spec.default
        properties[name] = prop
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": [n for n, s in preset.inputs.items() if s.required],
        "additionalProperties": False,
    }
    if preset.one_of:
        schema["allOf"] = [{"anyOf": [{"required": [n]} for n in g]} for g in preset.one_of]
    return schema
