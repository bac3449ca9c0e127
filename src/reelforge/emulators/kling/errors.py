"""Kling's error answers: the ``{code, message, request_id}`` envelope with the HTTP status
Kling pairs with each business code (reference §2, "Errors")."""

from __future__ import annotations

import uuid

from starlette.responses import JSONResponse, Response

from reelforge.emulators.base import Fault, FaultRaised, malformed_response, retry_after_headers

HTTP_FOR_CODE = {
    1000: 401, 1001: 401, 1002: 401, 1003: 401, 1004: 401,
    1100: 429, 1101: 429, 1102: 429, 1103: 403,
    1200: 400, 1201: 400, 1202: 404, 1203: 404,
    1300: 400, 1301: 400, 1302: 429, 1303: 429, 1304: 429,
    5000: 500, 5001: 503, 5002: 504,
}  # fmt: skip
MESSAGES = {
    1000: "Authentication failed",
    1001: "Authorization is empty",
    1002: "Authorization is invalid",
    1003: "Authorization is not yet valid",
    1004: "Authorization has expired",
    1102: "Account balance not enough: the resource pack is exhausted or expired",
    1201: "Invalid request parameters",
    1203: "The requested resource does not exist",
    1301: "Trigger the content security policy: the input failed the risk control check",
    1302: "The API request is too fast, please slow down",
    5000: "Server internal error",
    5001: "Server temporarily unavailable, usually due to maintenance",
    5002: "Server internal timeout, usually due to a backlog",
}
# The task-level refusal (task_status_msg) when moderation strikes after submission.
RISK_CONTROL_MESSAGE = "Failure to pass the risk control system: the output was judged sensitive"


def kling_fault(code: int, message: str | None = None) -> FaultRaised:
    return FaultRaised(f"code:{code}", message=message)


def envelope_error(
    code: int, message: str | None, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(
        {
            "code": code,
            "message": message or MESSAGES.get(code, "Request failed"),
            "request_id": str(uuid.uuid4()),
        },
        status_code=HTTP_FOR_CODE.get(code, 400),
        headers=headers,
    )


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind.startswith("code:"):
        return envelope_error(int(kind.split(":", 1)[1]), message)
    if kind == "auth":
        return envelope_error(1000, message)
    if kind == "rate_limit":
        # Kling documents no Retry-After; sending one is harmless and lets clients wait.
        return envelope_error(1302, message, retry_after_headers(fault))
    if kind == "server_error":
        status = fault.status if fault is not None else 500
        code = {503: 5001, 504: 5002}.get(status, 5000)
        response = envelope_error(code, message)
        response.status_code = status
        return response
    if kind == "malformed":
        return malformed_response()
    if kind == "insufficient_credit":
        return envelope_error(1102, message)
    if kind == "moderation":
        return envelope_error(1301, message)
    if kind == "not_found":
        return envelope_error(1203, message)
    return envelope_error(1201, message)
