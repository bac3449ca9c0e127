"""Every error leaves the API in one envelope:
``{"error": {"code", "message", "remediation", "detail", "request_id"}}``."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from fastapi import FastAPI, Request, routing
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.routing import compile_path
from starlette.types import Send

from reelforge.api.context import request_id_var
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.logs import get_logger, redact

log = get_logger("reelforge.api")

_STATUS_CODES = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.AUTH_FAILED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.NOT_FOUND,  # no such operation (the Allow header lists the ones there are)
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA,
    416: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
}


def envelope(error: ReelForgeError, status: int | None = None) -> JSONResponse:
    body = error.to_dict()
    body.pop("retryable", None)
    body["retryable"] = error.retryable
    body["detail"] = redact(body["detail"])
    body["request_id"] = request_id_var.get()
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    status = status or error.http_status
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def too_large(limit: int, *, declared: int | None = None) -> ReelForgeError:
    detail: dict[str, Any] = {"limit_bytes": limit}
    if declared is not None:
        detail["content_length"] = declared
    return ReelForgeError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The request body is larger than the {limit} bytes allowed here.",
        detail=detail,
        remediation=(
            "Send a smaller body: shorten prompts, split the pipeline, or upload media with "
            "POST /v1/uploads and refer to it by artifact id.",
            "The server's limits are the settings REELFORGE_MAX_BODY_BYTES (JSON) and "
            "REELFORGE_UPLOAD_MAX_BYTES (uploads).",
        ),
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_to_error(exc: RequestValidationError | ValidationError) -> ReelForgeError:
    unknown: list[str] = []
    missing: list[str] = []
    invalid: list[dict[str, Any]] = []
    for err in exc.errors():
        kind = err.get("type", "")
        name = _field(err.get("loc", ()))
        if kind == "extra_forbidden":
            unknown.append(name)
        elif kind == "missing":
            missing.append(name)
        else:
            invalid.append({"field": name, "problem": err.get("msg", "invalid")})
    if unknown or missing:
        parts = []
        if unknown:
            parts.append("unknown field(s): " + ", ".join(unknown))
        if missing:
            parts.append("missing required field(s): " + ", ".join(missing))
        return ReelForgeError(
            ErrorCode.CONTRACT_MISMATCH,
            "The request does not match the contract: " + "; ".join(parts) + ".",
            detail={
                "unknown_fields": unknown,
                "missing_fields": missing,
                "invalid_fields": invalid,
            },
        )
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        "Invalid value(s): " + ", ".join(f"{i['field']} ({i['problem']})" for i in invalid) + ".",
        detail={"invalid_fields": invalid},
    )


def from_http_exception(exc: StarletteHTTPException) -> ReelForgeError:
    """Starlette's and FastAPI's own errors (a body that is not JSON: 400) in our terms."""
    code = _STATUS_CODES.get(exc.status_code, ErrorCode.INTERNAL_ERROR)
    message = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and message == "Not Found":
        message = "No such endpoint."
    return ReelForgeError(code, message)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ReelForgeError)
    async def _reelforge(_request: Request, exc: ReelForgeError) -> JSONResponse:
        return envelope(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return envelope(validation_to_error(exc))

    @app.exception_handler(ValidationError)
    async def _model(_request: Request, exc: ValidationError) -> JSONResponse:
        # A domain model built inside a handler refused the values (the fuzzer found
        # POST /v1/generations with mode and capability.mode that differ): bad input.
        return envelope(validation_to_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
        if exc.status_code == 413 and isinstance(limit, int):
            return envelope(too_large(limit))  # a streamed body passed the limit
        response = envelope(from_http_exception(exc), status=exc.status_code)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path only; several
            # routes may share it (GET /v1/runs and POST /v1/runs are two).
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Reached only for failures outside the request context (RequestContextMiddleware
        # answers the rest with their request id).
        return internal_error(exc)


@cache
def _path_regex(path_format: str) -> re.Pattern[str]:
    return compile_path(path_format)[0]


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this request's path."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for ctx in routing.iter_route_contexts(request.app.router.routes):
        if ctx.methods and ctx.path_format and _path_regex(ctx.path_format).match(path):
            methods |= set(ctx.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def internal_error(exc: BaseException) -> JSONResponse:
    # The stack goes to the log (redacted); the caller gets no internals.
    log.error("unhandled_exception", exc_info=exc, error_type=type(exc).__name__)
    return envelope(ReelForgeError(ErrorCode.INTERNAL_ERROR), status=500)


async def send_internal_error(send: Send, exc: BaseException) -> None:
    response = internal_error(exc)
    await send({"type": "http.response.start", "status": 500, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
