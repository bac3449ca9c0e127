"""Shared HTTP plumbing for adapters: one place that turns transport failures and
HTTP statuses into ``ReelForgeError`` (adapters refine per provider before falling back here).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage import send_gate
from reelforge.storage.http_client import CertificateFailure, certificate_error, gates_on_wire

CREDIT_WORDS = ("credit", "balance", "quota", "insufficient", "billing", "payment", "funds")
MODERATION_WORDS = ("moderation", "safety", "nsfw", "policy", "content filter", "inappropriate")
# A failed task whose reason reads like one of these may succeed when submitted again;
# any other failure (invalid input, moderation, an unexplained failure) is not resubmitted,
# since a provider that bills failed tasks would bill each resubmission too.
TRANSIENT_WORDS = (
    "timeout",
    "timed out",
    "temporar",
    "try again",
    "retry",
    "busy",
    "overload",
    "capacity",
    "unavailable",
    "internal error",
    "internal server error",
    "worker",
)
# Where a provider's own balance is topped up (their public dashboards; these pages could
# not be checked from this offline machine, so a link may have moved).
TOP_UP_URLS = {
    "fal": "https://fal.ai/dashboard/billing",
    "replicate": "https://replicate.com/account/billing",
    "together": "https://api.together.ai/settings/billing",
    "runway": "https://dev.runwayml.com/",
    "luma": "https://lumalabs.ai/api/billing",
    "grok": "https://console.x.ai/",
    "runware": "https://my.runware.ai/wallet",
}


def transient(message: str) -> bool:
    """Whether a provider's reason for failing a task says trying again may help."""
    lowered = message.lower()
    return any(word in lowered for word in TRANSIENT_WORDS) and not any(
        word in lowered for word in MODERATION_WORDS
    )


def out_of_credit(
    provider: str,
    detail: dict[str, Any],
    *,
    message: str | None = None,
    remediation: tuple[str, ...] | None = None,
) -> ReelForgeError:
    """The provider account (the user's own key) is out of credit: PROVIDER_OUT_OF_CREDIT,
    never INSUFFICIENT_FUNDS, which is the user's ReelForge balance."""
    facts = {**detail, "provider": provider}
    if provider in TOP_UP_URLS:
        facts.setdefault("top_up_url", TOP_UP_URLS[provider])
    return ReelForgeError(
        ErrorCode.PROVIDER_OUT_OF_CREDIT,
        message or f"{provider}: the provider account is out of credit.",
        detail=facts,
        remediation=remediation,
    )


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), or None."""
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _said(text: str) -> str:
    """``: <reason>`` for a message, ``.`` when there is none (or only an HTML page)."""
    text = text.strip()
    return "." if not text or text.startswith("<") else f": {text[:200]}"


def body_message(response: httpx.Response) -> str:
    """A short human message from an error body, whatever its shape (never the whole body)."""
    try:
        data: Any = response.json()
    except ValueError:
        return response.text[:300]
    for path in (
        ("error", "message"),
        ("error",),
        ("message",),
        ("detail",),
        ("msg",),
        ("base_resp", "status_msg"),
        ("failure_reason",),
    ):
        node = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node:
            return node[:300]
        if isinstance(node, list) and node:
            return str(node[0])[:300]
    return str(data)[:300]


def error_for_status(
    provider: str, response: httpx.Response, *, message: str | None = None
) -> ReelForgeError:
    """The default mapping of an HTTP error status to our codes."""
    status = response.status_code
    text = message if message is not None else body_message(response)
    lowered = text.lower()
    detail: dict[str, Any] = {"provider": provider, "status": status, "provider_message": text}
    if status == 402 or (status in (400, 403, 429) and any(w in lowered for w in CREDIT_WORDS)):
        return out_of_credit(provider, detail)
    if status in (401, 403):
        return ReelForgeError(
            ErrorCode.AUTH_FAILED,
            f"{provider}: the provider rejected the API key.",
            detail=detail,
        )
    if status == 429:
        return ReelForgeError(
            ErrorCode.RATE_LIMITED,
            f"{provider}: rate limited.",
            detail=detail,
            retry_after=parse_retry_after(response.headers),
        )
    if status in (400, 422) and any(w in lowered for w in MODERATION_WORDS):
        return ReelForgeError(ErrorCode.SAFETY_FILTER, f"{provider}: {text}", detail=detail)
    if status in (400, 409, 413, 415, 422):
        return ReelForgeError(ErrorCode.VALIDATION_ERROR, f"{provider}: {text}", detail=detail)
    if status == 404:
        return ReelForgeError(ErrorCode.NOT_FOUND, f"{provider}: {text}", detail=detail)
    # The provider's own words when it gave any: "answered 500" alone hides the reason.
    said = _said(text)
    return ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        f"{provider}: the provider answered {status}{said}",
        detail=detail,
        retryable=status >= 500 or status == 408,
        retry_after=parse_retry_after(response.headers),
    )


async def send(
    client: httpx.AsyncClient,
    provider: str,
    method: str,
    url: str,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request; transport failures become retryable ReelForgeErrors.

    The response is returned whatever its status: adapters check the body first (several
    providers report errors with HTTP 200), then call ``error_for_status``.

    In a submission the engine gated (storage.send_gate), the gate is passed here, just
    before the request is handed over, unless the client passes it on the connection.
    """
    if send_gate.current() is not None and not gates_on_wire(client):
        await send_gate.pass_gate()
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            f"{provider}: the request timed out.",
            detail={"provider": provider, "reason": type(exc).__name__},
            retryable=True,
        ) from exc
    except CertificateFailure as exc:
        raise certificate_error(exc, what=provider) from exc
    except httpx.TransportError as exc:
        raise ReelForgeError(
            ErrorCode.ENGINE_OFFLINE,
            f"{provider}: cannot reach the provider.",
            detail={"provider": provider, "reason": type(exc).__name__},
            retryable=True,
        ) from exc


def json_body(provider: str, response: httpx.Response) -> Any:
    """Parse a JSON body or raise a retryable PROVIDER_ERROR for a malformed one."""
    try:
        return response.json()
    except ValueError as exc:
        raise ReelForgeError(
            ErrorCode.PROVIDER_ERROR,
            f"{provider}: the provider sent a malformed response.",
            detail={"provider": provider, "status": response.status_code},
            retryable=True,
        ) from exc
