"""Higgsfield's error answers: FastAPI ``{"detail": ...}`` bodies.

Out of credit: the official Python SDK treats 402 as insufficient credits, the older JS SDK
403 ("NotEnoughCreditsError"). The emulator answers 402 by default and 403 with the same
credits message when the fault asks for ``status: 403``; the adapter maps both.
Retry-After on 429 is not documented; the emulator sends it (clients may ignore it).
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from reelforge.emulators.base import Fault, malformed_response, retry_after_headers


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "auth":
        return JSONResponse({"detail": message or "Invalid credentials"}, status_code=401)
    if kind == "rate_limit":
        return JSONResponse(
            {"detail": message or "Rate limit exceeded"},
            status_code=429,
            headers=retry_after_headers(fault),
        )
    if kind == "insufficient_credit":
        status = 403 if fault is not None and fault.status == 403 else 402
        return JSONResponse({"detail": message or "Not enough credits"}, status_code=status)
    if kind == "server_error":
        status = fault.status if fault is not None else 500
        return JSONResponse({"detail": message or "Internal Server Error"}, status_code=status)
    if kind == "malformed":
        return malformed_response()
    if kind == "not_found":
        return JSONResponse({"detail": message or "Not Found"}, status_code=404)
    if kind == "schema":
        field, _, msg = (message or "body:invalid").partition(":")
        return JSONResponse(
            {"detail": [{"type": "value_error", "loc": ["body", *field.split(".")], "msg": msg}]},
            status_code=422,
        )
    return JSONResponse({"detail": message or "Bad request"}, status_code=400)


def schema_error(field: str, msg: str) -> str:
    return f"{field}:{msg}"
