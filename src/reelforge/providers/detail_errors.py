"""Errors from APIs built on FastAPI (Luma, Higgsfield): ``{"detail": "<message>"}`` or
``{"detail": [{"loc": [...], "msg": ...}]}`` for schema errors.

Refines ``providers.http.error_for_status`` so a validation error names the offending
field; credit, auth, rate-limit and moderation answers keep the shared mapping.
"""

from __future__ import annotations

from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers.http import CREDIT_WORDS, MODERATION_WORDS, body_message, error_for_status


def detail_fields(response: httpx.Response) -> tuple[str, list[str]]:
    """(message, field names) from a FastAPI-style error body."""
    try:
        data: Any = response.json()
    except ValueError:
        return response.text[:300], []
    if not isinstance(data, dict):
        return str(data)[:300], []
    detail = data.get("detail", data.get("details"))
    if isinstance(detail, list):
        fields: list[str] = []
        messages: list[str] = []
        for item in detail:
            if not isinstance(item, dict):
                continue
            # loc starts with where the value came from ("body", "query"); drop it.
            loc = [str(p) for p in item.get("loc") or [] if p not in ("body", "query", "path")]
            if loc:
                fields.append(".".join(loc))
            msg = str(item.get("msg") or "invalid value")
            messages.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
        return ("; ".join(messages) or "invalid request")[:300], fields
    return body_message(response), []


def detail_error(provider: str, response: httpx.Response) -> ReelForgeError:
    message, fields = detail_fields(response)
    lowered = message.lower()
    ordinary = not any(w in lowered for w in CREDIT_WORDS + MODERATION_WORDS)
    if response.status_code in (400, 422) and ordinary:
        detail: dict[str, Any] = {
            "provider": provider,
            "status": response.status_code,
            "provider_message": message,
        }
        if fields:
            detail["fields"] = fields
            detail["field"] = fields[0]
        return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"{provider}: {message}", detail=detail)
    return error_for_status(provider, response, message=message)
