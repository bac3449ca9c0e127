"""MiniMax's error answers: almost always HTTP 200 with ``base_resp.status_code != 0``.

Codes (official error page): 1002 rate limit, 1004 auth failure, 1008 insufficient
balance, 1026/1027 sensitive input/output, 2013 invalid params, 2049 invalid API key.
HTTP 401/429/5xx also occur in front of the API (the MiniMax CLI handles them), so a fault
with ``status: 401`` (auth) or ``status: 429`` (rate limit, with Retry-After) answers that
way instead; the adapter accepts both.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from starlette.responses import JSONResponse, Response

from reelforge.emulators.base import Fault, malformed_response, retry_after_headers

MESSAGES = {
    1002: "rate limit exceeded(RPM)",
    1004: "login fail: Please carefully check the API secret key",
    1008: "insufficient balance",
    1024: "internal error",
    1026: "input new_sensitive",
    1027: "output new_sensitive",
    2013: "invalid params",
    2049: "invalid api key",
}


def reply(
    body: Mapping[str, object], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer with the Trace-Id header MiniMax puts on every response."""
    return JSONResponse(
        body, status_code=status, headers={"Trace-Id": secrets.token_hex(16), **(headers or {})}
    )


def business(
    code: int, message: str | None = None, http_status: int = 200, **fields: object
) -> Response:
    text = message or MESSAGES.get(code, "error")
    if code == 2013 and message:
        text = f"invalid params, {message}"
    return reply({**fields, "base_resp": {"status_code": code, "status_msg": text}}, http_status)


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    status = fault.status if fault is not None else 0
    if kind == "auth":
        code = 1004 if message == "missing" else 2049
        return business(code, None, 401 if status == 401 else 200)
    if kind == "rate_limit":
        if status == 429:
            body = {"base_resp": {"status_code": 1002, "status_msg": MESSAGES[1002]}}
            return reply(body, 429, retry_after_headers(fault))
        return business(1002, message)
    if kind == "insufficient_credit":
        return business(1008, message)
    if kind == "server_error":
        return business(1024, message, status or 500)
    if kind == "malformed":
        return malformed_response()
    if kind == "moderation":
        return business(1026, message)
    return business(2013, message or "bad request")
