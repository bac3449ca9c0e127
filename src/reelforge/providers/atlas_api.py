"""Atlas Cloud wire helpers: error translation, the response envelope, and the public
model list with per-model OpenAPI schemas (no auth needed for either).

Shared by the adapter (``providers.atlas``) and live discovery
(``catalog.atlas_discovery``). Contract: shared/reference/providers-other.md §1.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError

# Request fields that are ours to set, never the user's: the model id goes in the body
# anyway, base64 output would bloat every poll, sync mode would block the submit call.
INTERNAL_FIELDS: frozenset[str] = frozenset({"model", "enable_base64_output", "enable_sync_mode"})

SAFETY_PATTERN = re.compile(
    r"nsfw|sensitive|moderat|content polic|safety|inappropriate", re.IGNORECASE
)
FUNDS_PATTERN = re.compile(r"insufficient|balance|credit|quota|top.?up", re.IGNORECASE)


def _message(body: Any, fallback: str) -> str:
    if isinstance(body, dict):
        for key in ("msg", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return fallback


def error_from_response(response: httpx.Response) -> ReelForgeError:
    """Translate a non-2xx Atlas answer into our taxonomy, once, at the boundary."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    status = response.status_code
    text = _message(body, response.reason_phrase or f"HTTP {status}")
    detail: dict[str, Any] = {"provider": "atlas", "status": status, "provider_message": text}
    if status in (401, 403):
        return ReelForgeError(
            ErrorCode.AUTH_FAILED, f"Atlas Cloud refused the key: {text}", detail=detail
        )
    if status == 402 or (status in (400, 403, 429) and FUNDS_PATTERN.search(text)):
        return ReelForgeError(ErrorCode.INSUFFICIENT_FUNDS, f"Atlas Cloud: {text}", detail=detail)
    if status == 429:
        retry_after = _retry_after(response.headers.get("retry-after"))
        return ReelForgeError(
            ErrorCode.RATE_LIMITED, f"Atlas Cloud: {text}", detail=detail, retry_after=retry_after
        )
    if status == 404:
        return ReelForgeError(ErrorCode.NOT_FOUND, f"Atlas Cloud: {text}", detail=detail)
    if status in (400, 422):
        if SAFETY_PATTERN.search(text):
            return ReelForgeError(ErrorCode.SAFETY_FILTER, f"Atlas Cloud: {text}", detail=detail)
        return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"Atlas Cloud: {text}", detail=detail)
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        f"Atlas Cloud: {text}",
        detail=detail,
        retryable=status >= 500 or status == 408,
    )


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def transport_error(exc: httpx.HTTPError, what: str) -> ReelForgeError:
    code = (
        ErrorCode.ENGINE_OFFLINE
        if isinstance(exc, httpx.ConnectError)
        else ErrorCode.PROVIDER_ERROR
    )
    return ReelForgeError(
        code,
        f"Atlas Cloud could not be reached ({what}): {type(exc).__name__}",
        detail={"provider": "atlas"},
        retryable=True,
    )


def unwrap(response: httpx.Response) -> Any:
    if response.is_error:
        raise error_from_response(response)
    try:
        body = response.json()
    except ValueError as exc:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            "Atlas Cloud answered with a body that is not JSON.",
            detail={"provider": "atlas", "status": response.status_code},
        ) from exc
    if not isinstance(body, dict):
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            "Atlas Cloud answered with an unexpected body.",
            detail={"provider": "atlas"},
        )
    code = body.get("code")
    # ``code`` is a string on the model list and a number elsewhere; an error code inside
    # an HTTP 200 is still an error.
    if code is not None and str(code) not in ("200", "0"):
        fake = httpx.Response(
            int(code) if str(code).isdigit() and 400 <= int(code) < 600 else 502, json=body
        )
        raise error_from_response(fake)
    return body.get("data", body)


# --- the public model list and per-model schemas (no auth) ---------------------------

# model id → schema URL, per base URL; filled by every list fetch so submit can find a
# model's schema without fetching the list again.
schema_urls: dict[str, dict[str, str]] = {}
# schema URL → cleaned Input schema; model schemas change rarely, so once per process.
schema_cache: dict[str, dict[str, Any]] = {}


def clear_caches() -> None:
    schema_urls.clear()
    schema_cache.clear()


def models_from_body(data: Any) -> list[dict[str, Any]]:
    """The model objects in a list answer: a list, or (one third-party fixture)
    ``{"groups": [{"models": [...]}]}``; anything else is an error."""
    if isinstance(data, list):
        return [m for m in data if isinstance(m, dict)]
    if isinstance(data, dict) and isinstance(data.get("groups"), list):
        return [
            m
            for group in data["groups"]
            if isinstance(group, dict)
            for m in group.get("models") or []
            if isinstance(m, dict)
        ]
    raise ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        "Atlas Cloud's model list has an unexpected shape.",
        detail={"provider": "atlas"},
    )


async def fetch_models(
    client: httpx.AsyncClient, base_url: str, *, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """Every model Atlas lists (all types, hidden ones included; callers filter)."""
    url = f"{base_url.rstrip('/')}/api/v1/models"
    try:
        response = await client.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        raise transport_error(exc, "model list") from exc
    models = models_from_body(unwrap(response))
    schema_urls[base_url.rstrip("/")] = {
        str(m["model"]): urljoin(url, str(m["schema"]))
        for m in models
        if m.get("model") and isinstance(m.get("schema"), str) and m["schema"]
    }
    return models


def clean_input_schema(document: Any) -> dict[str, Any]:
    """``components.schemas.Input`` of a model's OpenAPI document, minus internal fields."""
    try:
        raw = document["components"]["schemas"]["Input"]
        props = dict(raw.get("properties") or {})
    except (KeyError, TypeError, AttributeError) as exc:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            "The model's schema has no components.schemas.Input.",
            detail={"provider": "atlas"},
        ) from exc
    keep = {k: v for k, v in props.items() if k not in INTERNAL_FIELDS and isinstance(v, dict)}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": keep,
        "required": [r for r in raw.get("required") or [] if r in keep],
    }
    order = [n for n in raw.get("x-order-properties") or [] if n in keep]
    if order:
        schema["x-order-properties"] = order
    return schema


async def fetch_input_schema(
    client: httpx.AsyncClient, schema_url: str, *, timeout: float = 20.0
) -> dict[str, Any]:
    """The cleaned Input schema at ``schema_url``, cached for the life of the process."""
    cached = schema_cache.get(schema_url)
    if cached is not None:
        return cached
    try:
        response = await client.get(schema_url, timeout=timeout)
    except httpx.HTTPError as exc:
        raise transport_error(exc, "model schema") from exc
    if response.is_error:
        raise error_from_response(response)
    try:
        document = response.json()
    except ValueError as exc:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            "The model's schema is not JSON.",
            detail={"provider": "atlas"},
        ) from exc
    schema = clean_input_schema(document)
    schema_cache[schema_url] = schema
    return schema
