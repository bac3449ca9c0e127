"""Errors in the OpenAI SDK's shape: ``{"error": {"message", "type", "code", "param"}}``.

The status is the one that makes the ``openai`` package raise the matching class (its
``_make_status_error``): 400 BadRequestError, 401 AuthenticationError, 403
PermissionDeniedError, 404 NotFoundError, 409 ConflictError, 429 RateLimitError, 5xx
InternalServerError. Our error code stays in ``code``; remediation and detail ride along
as extra fields (the SDK keeps the whole body on ``exc.body``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelforge.api.context import request_id_var
from reelforge.api.errors import validation_to_error
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.logs import get_logger, redact

log = get_logger("reelforge.api.openai")

# Our status → the one OpenAI answers in the same situation. Invalid input is 400 there
# (422 would raise UnprocessableEntityError); running out of credit is OpenAI's
# ``insufficient_quota``, a 429 the SDK must not retry (x-should-retry: false).
_STATUS = {422: 400, 402: 429, 416: 400}
_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
}


def _param(error: ReelForgeError) -> str | None:
    detail = error.detail
    for key in ("param", "field"):
        if isinstance(detail.get(key), str):
            return str(detail[key])
    for key in ("invalid_fields", "unknown_fields", "missing_fields"):
        items = detail.get(key) or []
        if items:
            first = items[0]
            return str(first.get("field") if isinstance(first, dict) else first)
    if "model" in detail and error.code is ErrorCode.NOT_FOUND:
        return "model"
    return None


def openai_error(error: ReelForgeError, status: int | None = None) -> JSONResponse:
    status = status or error.http_status
    status = _STATUS.get(status, status)
    kind = _TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    if error.code is ErrorCode.INSUFFICIENT_FUNDS:
        kind = "insufficient_quota"
    body: dict[str, Any] = {
        "message": error.message,
        "type": kind,
        "code": str(error.code),
        "param": _param(error),
        "remediation": list(error.remediation),
        "detail": redact(error.detail),
        "request_id": request_id_var.get(),
    }
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    run_id = error.detail.get("run_id")
    if isinstance(run_id, str):
        headers["x-reelforge-run-id"] = run_id
        headers["x-reelforge-generation-id"] = run_id
    # The SDK retries 409, 429 and 5xx by itself. Not when the work was started (a retry
    # would be a second, paid run: ours already retried and fell back) or when waiting
    # cannot help (no credit); a rate limit is retried after its Retry-After.
    if isinstance(run_id, str) or error.code is ErrorCode.INSUFFICIENT_FUNDS:
        headers["x-should-retry"] = "false"
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def install_openai_errors(app: FastAPI) -> None:
    @app.exception_handler(ReelForgeError)
    async def _reelforge(_request: Request, exc: ReelForgeError) -> JSONResponse:
        return openai_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return openai_error(validation_to_error(exc), status=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: ErrorCode.AUTH_FAILED, 404: ErrorCode.NOT_FOUND, 405: ErrorCode.NOT_FOUND}
        message = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and message == "Not Found":
            message = "No such endpoint under /openai/v1."
        error = ReelForgeError(code.get(exc.status_code, ErrorCode.VALIDATION_ERROR), message)
        return openai_error(error, status=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_exception", exc_info=exc, error_type=type(exc).__name__)
        return openai_error(ReelForgeError(ErrorCode.INTERNAL_ERROR), status=500)
