"""Luma's error answers: FastAPI ``{"detail": ...}`` bodies.

Uncertain in the real API (reference §4): the status for insufficient credits (the newer
Luma Agents API uses 402; the Dream Machine docs say nothing) and whether 429s carry
Retry-After. The emulator answers 402 by default and 400 with a credits message when the
fault asks for ``status: 400``; the adapter maps both to PROVIDER_OUT_OF_CREDIT.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from reelforge.emulators.base import Fault, malformed_response, retry_after_headers


def render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    if kind == "auth":
        return JSONResponse({"detail": message or "Invalid API key"}, status_code=401)
    if kind == "rate_limit":
        return JSONResponse(
            {"detail": message or "Too many requests, please slow down"},
            status_code=429,
            headers=retry_after_headers(fault),
        )
    if kind == "insufficient_credit":
        status = 400 if fault is not None and fault.status == 400 else 402
        text = message or "Insufficient credits. Please add credits to your account."
        return JSONResponse({"detail": text}, status_code=status)
    if kind == "server_error":
        status = fault.status if fault is not None else 500
        return JSONResponse({"detail": message or "Internal Server Error"}, status_code=status)
    if kind == "malformed":
        return malformed_response()
    if kind == "not_found":
        return JSONResponse({"detail": message or "Generation not found"}, status_code=404)
    if kind == "moderation":
        return JSONResponse({"detail": message or "Contains blacklisted words"}, status_code=400)
    if kind == "schema":
        # message is "field:msg"; FastAPI's 422 list shape.
        field, _, msg = (message or "body:invalid").partition(":")
        return JSONResponse(
            {"detail": [{"type": "value_error", "loc": ["body", *field.split(".")], "msg": msg}]},
            status_code=422,
        )
    return JSONResponse({"detail": message or "Bad request"}, status_code=400)


def schema_error(field: str, msg: str) -> str:
    """The message form ``render_error("schema", ...)`` expects."""
    return f"{field}:{msg}"
