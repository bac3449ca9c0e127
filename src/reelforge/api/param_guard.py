"""Query and path values the database cannot hold are refused as bad input (422), never
left to fail inside the driver as a 500: integers beyond 64 bits (SQLite and PostgreSQL
both overflow on them) and NUL characters (PostgreSQL text cannot store one).

A safety net for every route, present and future: routes should still declare their own
bounds (``ge``/``le``, ``max_length``) so the OpenAPI document tells clients the limits.
Date-times are ISO 8601 as documented: a bare number (which pydantic would read as a Unix
time) is refused.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute

from reelforge.domain.errors import ErrorCode, ReelForgeError

INT64_MAX = 2**63 - 1
_int_names: dict[tuple[int, type], frozenset[str]] = {}


def _is(annotation: Any, kind: type) -> bool:
    if annotation is kind:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is(a, kind) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _is(typing.get_args(annotation)[0], kind)
    return False


def _declared(route: APIRoute, kind: type) -> frozenset[str]:
    names = _int_names.get((id(route), kind))
    if names is None:
        found: set[str] = set()
        stack = [route.dependant]
        while stack:
            dep = stack.pop()
            for p in [*dep.query_params, *dep.path_params]:
                if _is(p.field_info.annotation, kind):
                    found.add(p.alias)
            stack.extend(dep.dependencies)
        names = frozenset(found)
        _int_names[(id(route), kind)] = names
    return names


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _refuse(name: str, problem: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        f"Invalid value(s): {name} ({problem}).",
        detail={"invalid_fields": [{"field": name, "problem": problem}]},
    )


def _out_of_range(value: str) -> bool:
    text = value.strip().lstrip("+-")
    if not text.isdigit() or len(text) < 19:
        return False
    try:
        return abs(int(value)) > INT64_MAX
    except ValueError:
        return False


def check_param_values(request: Request, route: APIRoute) -> None:
    values: list[tuple[str, str]] = list(request.query_params.multi_items())
    values += [(k, v) for k, v in request.path_params.items() if isinstance(v, str)]
    ints = _declared(route, int)
    dates = _declared(route, datetime)
    for name, value in values:
        if "\x00" in value:
            raise _refuse(name, "NUL characters are not allowed")
        if name in ints and _out_of_range(value):
            raise _refuse(name, f"must be between {-INT64_MAX - 1} and {INT64_MAX}")
        if name in dates and _is_number(value):
            # pydantic would read a number as a Unix time; the schema says ISO 8601.
            raise _refuse(name, "must be an ISO 8601 date-time")
