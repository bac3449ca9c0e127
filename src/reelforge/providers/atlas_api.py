"""Atlas Cloud wire helpers: error translation, the response envelope, and the public
model list with per-model OpenAPI schemas (no auth needed for either).

Shared by the adapter (``providers.atlas``) and live discovery
(``catalog.atlas_discovery``). Contract: shared/reference/providers-other.md §1.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers import http

# Request fields that are ours to set, never the user's: the model id goes in the body
# anyway, base64 output would bloat every poll, sync mode is the adapter's choice (images).
SYNC_FIELD = "enable_sync_mode"
INTERNAL_FIELDS: frozenset[str] = frozenset({"model", "enable_base64_output", SYNC_FIELD})

PROVIDER = "atlas"


def _message(body: Any, fallback: str) -> str:
    """The error text where the official client looks: ``msg``, ``message``, ``error``."""
    if isinstance(body, dict):
        for key in ("msg", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return fallback


def error_from_response(response: httpx.Response) -> ReelForgeError:
    """Translate a failed Atlas answer into our taxonomy, once, at the boundary."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    text = _message(body, http.body_message(response) or f"HTTP {response.status_code}")
    return http.error_for_status(PROVIDER, response, message=text)


def is_moderation(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in (*http.MODERATION_WORDS, "sensitive"))


async def request(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
    """Send, then ``unwrap``: the ``data`` of a successful answer, or a ReelForgeError."""
    return unwrap(await http.send(client, PROVIDER, method, url, **kwargs))


def unwrap(response: httpx.Response) -> Any:
    """The ``data`` of an answer ``{code, data}``; an error code inside HTTP 200 is an error."""
    if response.is_error:
        raise error_from_response(response)
    body = http.json_body(PROVIDER, response)
    if not isinstance(body, dict):
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            "Atlas Cloud answered with an unexpected body.",
            detail={"provider": "atlas"},
        )
    code = body.get("code")
    # ``code`` is a string on the model list and a number elsewhere.
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
# Schema URLs whose Input declares ``enable_sync_mode`` (dropped from the cleaned schema,
# as it is ours to set): those models can answer the submission with the outputs.
sync_schemas: set[str] = set()


def clear_caches() -> None:
    schema_urls.clear()
    schema_cache.clear()
    sync_schemas.clear()


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
    models = models_from_body(await request(client, "GET", url, timeout=timeout))
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
    response = await http.send(client, PROVIDER, "GET", schema_url, timeout=timeout)
    if response.is_error:
        raise error_from_response(response)
    document = http.json_body(PROVIDER, response)
    schema = clean_input_schema(document)
    if SYNC_FIELD in (document["components"]["schemas"]["Input"].get("properties") or {}):
        sync_schemas.add(schema_url)
    schema_cache[schema_url] = schema
    return schema
