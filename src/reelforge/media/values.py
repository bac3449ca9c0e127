"""Checking named choices (looks, strategies, presets) with a clear VALIDATION_ERROR."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from reelforge.domain.errors import ErrorCode, ReelForgeError

E = TypeVar("E", bound=StrEnum)


def choice(kind: type[E], value: str, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"{field} must be one of: {', '.join(m.value for m in kind)}.",
            detail={"field": field, "value": value, "allowed": [m.value for m in kind]},
        ) from None
