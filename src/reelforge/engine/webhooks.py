"""Run webhooks: the final state of a run POSTed to its callback URL, signed with HMAC.

``X-ReelForge-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` with the
owner's webhook secret (``GET /v1/me/webhook-secret``). The URL obeys the safe fetcher's
address rules, checked again when sending.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any

from reelforge.domain.errors import ReelForgeError
from reelforge.logs import get_logger
from reelforge.storage.fetcher import SafeFetcher

log = get_logger("reelforge.webhooks")


def owner_webhook_secret(secret: str, owner_id: str) -> str:
    return hmac.new(secret.encode(), f"webhook:{owner_id}".encode(), hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def verify(secret: str, body: bytes, header: str, tolerance: float = 300.0) -> bool:
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        ts = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - ts) > tolerance:
        return False
    expected = sign(secret, body, ts).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


async def deliver(
    fetcher: SafeFetcher, url: str, payload: dict[str, Any], secret: str, attempts: int = 3
) -> str:
    """POST the payload; returns a short status for the run row ("200", "error:…")."""
    body = json.dumps(payload, default=str, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-ReelForge-Signature": sign(secret, body),
        "User-Agent": "ReelForge-Webhook/1",
    }
    last = "error"
    for attempt in range(attempts):
        try:
            status = await fetcher.post(url, body, headers)
        except ReelForgeError as exc:
            last = f"error:{exc.code}"
            if not exc.retryable:
                break
        else:
            last = str(status)
            if status < 500:
                break
        await _sleep(attempt)
    log.info("webhook_delivered", status=last)
    return last


async def _sleep(attempt: int) -> None:
    await asyncio.sleep(min(10.0, 0.5 * 2**attempt))
