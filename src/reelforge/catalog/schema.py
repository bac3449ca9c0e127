"""Model parameter schemas: a JSON-Schema subset turned into typed ``ParamSpec``s, and
request params checked against them.

The subset: an object schema with ``properties`` (each with ``type`` string | integer |
number | boolean | array | object, ``enum``, ``default``, ``minimum``/``maximum``,
``minLength``/``maxLength``, ``minItems``/``maxItems``, ``items``, ``title``,
``description``), ``required``, ``x-order-properties`` (display order) and
``additionalProperties`` (true = pass unknown params through, for models whose schema is
not published). Media parameters are flagged with their kind (``x-media-kind`` or by name,
see providers.media_params); the canvas draws them as input ports, not settings.

Entry point for callers (the engine, the API): ``validate_params(entry, params)``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from reelforge.catalog.prompts import TextField, text_params
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.providers.media_params import media_kind_of

ParamType = Literal["string", "integer", "number", "boolean", "array", "object", "any"]
_TYPES: frozenset[str] = frozenset({"string", "integer", "number", "boolean", "array", "object"})


class SchemaError(ValueError):
    """A schema outside the supported subset (raised for curated data, which must be exact)."""


class ParamSpec(BaseModel):
    """One model parameter, as the settings form and the validator see it."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: ParamType
    required: bool = False
    has_default: bool = False
    default: Any = None
    enum: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None  # strings: characters; arrays: items
    max_length: int | None = None
    items_type: ParamType | None = None
    nullable: bool = False
    title: str | None = None
    description: str | None = None
    media_kind: MediaKind | None = None
    # Filled from the node's prompt / negative_prompt / seed (catalog.prompts), not params.
    fills: TextField | None = None

    @property
    def is_media(self) -> bool:
        return self.media_kind is not None

    @property
    def from_node(self) -> bool:
        """Filled from the node (its media inputs or its text fields), never required here."""
        return self.media_kind is not None or self.fills is not None


def _type_of(name: str, prop: Mapping[str, Any], strict: bool) -> tuple[ParamType, bool]:
    """(type, nullable). Accepts ``type: [X, "null"]`` and ``anyOf: [{type: X}, {type: null}]``."""
    raw: Any = prop.get("type")
    nullable = bool(prop.get("nullable", False))
    alternatives = prop.get("anyOf") or prop.get("oneOf")
    if raw is None and isinstance(alternatives, list):
        raw = [alt.get("type") for alt in alternatives if isinstance(alt, dict)]
    if isinstance(raw, list):
        nullable = nullable or "null" in raw
        kinds = [k for k in raw if k != "null"]
        raw = kinds[0] if len(kinds) == 1 else None
    if raw is None and isinstance(prop.get("enum"), list) and prop["enum"]:
        raw = _json_type(prop["enum"][0])
    if raw is None and "default" in prop and prop["default"] is not None:
        raw = _json_type(prop["default"])
    if raw in _TYPES:
        return raw, nullable
    if strict:
        raise SchemaError(f"parameter {name!r}: unsupported or missing type {prop.get('type')!r}")
    return "any", nullable


def _json_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def parse_schema(schema: Mapping[str, Any], *, strict: bool = False) -> list[ParamSpec]:
    """The parameters of an object schema, in display order (``x-order-properties`` first).

    ``strict`` (curated data) raises SchemaError on anything outside the subset; otherwise
    (live provider schemas) unknown types become ``any`` so one odd field never hides a model.
    """
    props = schema.get("properties") or {}
    if not isinstance(props, Mapping):
        raise SchemaError("'properties' must be an object")
    required = set(schema.get("required") or [])
    order = [n for n in (schema.get("x-order-properties") or []) if n in props]
    order += [n for n in props if n not in order]
    specs: list[ParamSpec] = []
    for name in order:
        prop = props[name]
        if not isinstance(prop, Mapping):
            if strict:
                raise SchemaError(f"parameter {name!r}: schema must be an object")
            continue
        ptype, nullable = _type_of(name, prop, strict)
        items = prop.get("items") if isinstance(prop.get("items"), Mapping) else None
        items_type: ParamType | None = None
        if ptype == "array" and items is not None:
            items_type = _type_of(f"{name}[]", items, False)[0]
        enum = prop.get("enum")
        if enum is not None and not isinstance(enum, list):
            if strict:
                raise SchemaError(f"parameter {name!r}: enum must be a list")
            enum = None
        is_string = ptype == "string"
        specs.append(
            ParamSpec(
                name=name,
                type=ptype,
                required=name in required,
                has_default="default" in prop,
                default=prop.get("default"),
                enum=enum,
                minimum=_num(prop.get("minimum")),
                maximum=_num(prop.get("maximum")),
                min_length=prop.get("minLength" if is_string else "minItems"),
                max_length=prop.get("maxLength" if is_string else "maxItems"),
                items_type=items_type,
                nullable=nullable,
                title=prop.get("title"),
                description=prop.get("description"),
                media_kind=media_kind_of(name, prop),
            )
        )
    return specs


# Parsed specs per entry object: entries are immutable once loaded, and parsing dominates
# planning time for large pipelines (the same model appears in many nodes).
_SPECS: dict[int, tuple[ModelEntry, list[ParamSpec]]] = {}
_SPECS_MAX = 4096


def entry_params(entry: ModelEntry) -> list[ParamSpec]:
    """The entry's ParamSpecs; media slots declared in ``entry.inputs`` flag their params."""
    cached = _SPECS.get(id(entry))
    if cached is not None and cached[0] is entry:
        return cached[1]
    specs = _entry_params(entry)
    if len(_SPECS) >= _SPECS_MAX:
        _SPECS.clear()
    _SPECS[id(entry)] = (entry, specs)
    return specs


def _entry_params(entry: ModelEntry) -> list[ParamSpec]:
    slots = {slot.name: slot.kind for slot in entry.inputs}
    fills = {name: text_field for text_field, name in text_params(entry.params_schema).items()}
    specs = parse_schema(entry.params_schema)
    out = []
    for spec in specs:
        update: dict[str, Any] = {}
        if spec.name in slots and spec.media_kind is None:
            update["media_kind"] = slots[spec.name]
        if spec.name in fills and spec.media_kind is None and "media_kind" not in update:
            update["fills"] = fills[spec.name]
        out.append(spec.model_copy(update=update) if update else spec)
    return out


def _coerce(spec_type: ParamType, value: Any, enum: list[Any] | None) -> tuple[bool, Any]:
    """(ok, value) for one value against a type; lax where it is unambiguous (``"5"`` → 5)."""
    if spec_type == "any":
        return True, value
    if spec_type == "boolean":
        if isinstance(value, bool):
            return True, value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return True, value.lower() == "true"
        return False, value
    if spec_type == "integer":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        if isinstance(value, str):
            try:
                return True, int(value.strip())
            except ValueError:
                return False, value
        return False, value
    if spec_type == "number":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int | float):
            return math.isfinite(value), value
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return False, value
            return math.isfinite(number), number
        return False, value
    if spec_type == "string":
        if isinstance(value, str):
            return True, value
        # A number sent for a string enum such as duration "5" is what the user meant.
        if enum and not isinstance(value, bool) and isinstance(value, int | float):
            text = str(int(value)) if float(value).is_integer() else str(value)
            return (text in enum), text
        return False, value
    if spec_type == "array":
        return isinstance(value, list), value
    if spec_type == "object":
        return isinstance(value, dict), value
    return False, value


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_value(spec: ParamSpec, value: Any) -> tuple[Any, str | None]:
    """(coerced value, problem or None) for one parameter value."""
    if value is None:
        return value, None if spec.nullable else "must not be null"
    ok, coerced = _coerce(spec.type, value, spec.enum)
    if not ok:
        return value, f"expected {spec.type}, got {type(value).__name__} {_describe(value)}"
    if spec.enum is not None and coerced not in spec.enum:
        allowed = ", ".join(repr(v) for v in spec.enum[:20])
        return value, f"{_describe(value)} is not one of: {allowed}"
    if spec.type in ("integer", "number"):
        if spec.minimum is not None and coerced < spec.minimum:
            return value, f"{coerced} is below the minimum {spec.minimum:g}"
        if spec.maximum is not None and coerced > spec.maximum:
            return value, f"{coerced} is above the maximum {spec.maximum:g}"
    if spec.type in ("string", "array"):
        size = len(coerced)
        unit = "characters" if spec.type == "string" else "items"
        if spec.min_length is not None and size < spec.min_length:
            return value, f"has {size} {unit}, fewer than the minimum {spec.min_length}"
        if spec.max_length is not None and size > spec.max_length:
            return value, f"has {size} {unit}, more than the maximum {spec.max_length}"
    if spec.type == "array" and spec.items_type and spec.items_type != "any":
        items = []
        for index, item in enumerate(coerced):
            item_ok, item_value = _coerce(spec.items_type, item, None)
            if not item_ok:
                return value, f"item {index}: expected {spec.items_type}, got {_describe(item)}"
            items.append(item_value)
        coerced = items
    return coerced, None


def validate_params(
    entry: ModelEntry, params: Mapping[str, Any] | None, *, partial: bool = False
) -> dict[str, Any]:
    """Check ``params`` against the entry's schema; return them with defaults and
    ``fixed_params`` applied, in schema order.

    Raises ReelForgeError:
    - CONTRACT_MISMATCH for unknown params (detail ``unknown_fields`` and ``allowed``, with
      close matches) and for missing required params (``missing_fields``); media params
      are filled from the node's inputs and text params (prompt, negative prompt, seed)
      from the node's fields later, so neither is required here (nor given a default);
    - VALIDATION_ERROR for wrong types, values outside an enum, or out of range
      (detail ``invalid_fields``: ``[{field, problem}]``).
    ``partial=True`` skips the required check (quotes, drafts on the canvas).
    """
    params = dict(params or {})
    specs = entry_params(entry)
    by_name = {spec.name: spec for spec in specs}
    open_schema = bool(entry.params_schema.get("additionalProperties", False))
    fixed = entry.fixed_params

    unknown = [k for k in params if k not in by_name and k not in fixed and not open_schema]
    if unknown:
        allowed = [spec.name for spec in specs]
        hints = {
            k: difflib.get_close_matches(k, allowed, n=1, cutoff=0.6)[0]
            for k in unknown
            if difflib.get_close_matches(k, allowed, n=1, cutoff=0.6)
        }
        hint_text = "".join(
            f" (did you mean {hints[k]!r} for {k!r}?)" for k in unknown if k in hints
        )
        raise ReelForgeError(
            ErrorCode.CONTRACT_MISMATCH,
            f"Model {entry.id} does not accept: {', '.join(unknown)}.{hint_text} "
            f"Allowed: {', '.join(allowed) or '(none)'}.",
            detail={
                "model": entry.id,
                "unknown_fields": unknown,
                "allowed": allowed,
                "did_you_mean": hints,
            },
        )

    invalid: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    for spec in specs:
        if spec.name in params and not (params[spec.name] is None and not spec.nullable):
            value, problem = check_value(spec, params[spec.name])
            if problem:
                invalid.append({"field": spec.name, "problem": problem})
            out[spec.name] = value
        elif spec.has_default and spec.default is not None and not spec.from_node:
            # (A text field's default would hide the node's own seed or prompt.)
            out[spec.name] = spec.default
    for name, value in fixed.items():
        given = params.get(name, value)
        if given != value and not (
            name in by_name and check_value(by_name[name], given)[0] == value
        ):
            invalid.append({"field": name, "problem": f"is fixed at {value!r} for this model"})
        out[name] = value
    if open_schema:
        out.update({k: v for k, v in params.items() if k not in by_name and k not in fixed})
    if invalid:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "Invalid parameter value(s) for "
            + entry.id
            + ": "
            + "; ".join(f"{i['field']} {i['problem']}" for i in invalid)
            + ".",
            detail={"model": entry.id, "invalid_fields": invalid},
        )
    if not partial:
        missing = [s.name for s in specs if s.required and not s.from_node and s.name not in out]
        if missing:
            raise ReelForgeError(
                ErrorCode.CONTRACT_MISMATCH,
                f"Model {entry.id} needs: {', '.join(missing)}.",
                detail={"model": entry.id, "missing_fields": missing, "unknown_fields": []},
            )
    return out
