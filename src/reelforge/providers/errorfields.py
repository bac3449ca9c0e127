"""Naming the offending field in a provider's validation error.

Providers describe bad input in prose ("duration value is invalid", "missing field
`prompt`"); our VALIDATION_ERROR carries the field name in ``detail.field`` so a form can
point at it. We only know which fields we sent, so we look for those names in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError


def field_in_message(message: str, candidates: Iterable[str]) -> str | None:
    """The longest candidate that appears in ``message`` as a whole word, or None."""
    found: str | None = None
    for name in candidates:
        if not name:
            continue
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message):
            if found is None or len(name) > len(found):
                found = name
    return found


def validation_error(
    provider: str,
    message: str,
    *,
    field: str | None,
    status: int | None = None,
    extra: dict[str, Any] | None = None,
) -> ReelForgeError:
    detail: dict[str, Any] = {"provider": provider, "provider_message": message}
    if status is not None:
        detail["status"] = status
    if field:
        detail["field"] = field
    detail.update(extra or {})
    return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"{provider}: {message}", detail=detail)
