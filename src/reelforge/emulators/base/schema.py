"""Typed input fields, checked as the provider's server checks them (issue 25, defect 5).

An emulator that accepts a number where the API wants a string lets an adapter bug
through offline, so each emulator declares the fields its models document and refuses
what the real API refuses. Two checking styles exist among providers:

- ``strict`` (JSON Schema, as Replicate validates ``input`` against the version's
  OpenAPI schema): the JSON type must match; integers are integral numbers.
- ``lax`` (pydantic's default mode, as fal's FastAPI apps parse their inputs): a string of
  digits is an integer, "true"/"false" is a boolean, but nothing becomes a string.

Unknown fields pass: neither provider is known to refuse extra inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

JsonType = Literal["string", "integer", "number", "boolean"]


@dataclass(frozen=True)
class Spec:
    type: JsonType
    enum: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False


@dataclass(frozen=True)
class Problem:
    field: str
    kind: str  # invalid_type | enum | number_out_of_range
    message: str
    pydantic_type: str  # the ``type`` pydantic would name (fal's 422 detail)


_JSON_NAMES = {bool: "boolean", int: "integer", float: "number", str: "string",
               list: "array", dict: "object", type(None): "null"}  # fmt: skip


def _json_name(value: Any) -> str:
    return _JSON_NAMES.get(type(value), "object")


def _coerce(value: Any, spec: Spec, lax: bool) -> tuple[bool, Any]:
    """(ok, value as the server would see it)."""
    if spec.type == "string":
        return isinstance(value, str), value
    if spec.type == "boolean":
        if isinstance(value, bool):
            return True, value
        if lax and isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return True, value.lower() in ("true", "1")
        if lax and isinstance(value, int) and value in (0, 1):
            return True, bool(value)
        return False, value
    if isinstance(value, bool):
        return False, value  # JSON true is never a number, for either style
    if spec.type == "integer":
        if isinstance(value, int):
            return True, value
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        if lax and isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return True, int(value)
        return False, value
    if isinstance(value, int | float):
        return True, value
    if lax and isinstance(value, str):
        try:
            return True, float(value)
        except ValueError:
            return False, value
    return False, value


def check(inputs: dict[str, Any], specs: dict[str, Spec], *, lax: bool = False) -> list[Problem]:
    problems: list[Problem] = []
    for name, spec in specs.items():
        if name not in inputs:
            continue
        value = inputs[name]
        if value is None and spec.nullable:
            continue
        ok, seen = _coerce(value, spec, lax)
        if not ok:
            expected = {"string": "string", "integer": "int", "number": "float",
                        "boolean": "bool"}[spec.type]  # fmt: skip
            problems.append(
                Problem(
                    name,
                    "invalid_type",
                    f"Invalid type. Expected: {spec.type}, given: {_json_name(value)}",
                    f"{expected}_type" if value is None or not lax else f"{expected}_parsing",
                )
            )
            continue
        if spec.enum and seen not in spec.enum:
            options = ", ".join(f'"{o}"' if isinstance(o, str) else str(o) for o in spec.enum)
            problems.append(
                Problem(
                    name,
                    "enum",
                    f"{name} must be one of the following: {options}",
                    "literal_error",
                )
            )
            continue
        low, high = spec.minimum, spec.maximum
        if (low is not None and seen < low) or (high is not None and seen > high):
            bound = (
                f"greater than or equal to {low:g}"
                if low is not None and seen < low
                else (f"less than or equal to {high:g}")
            )
            problems.append(
                Problem(
                    name,
                    "number_out_of_range",
                    f"Must be {bound}",
                    "greater_than_equal" if "greater" in bound else "less_than_equal",
                )
            )
    return problems
