"""Pure-ASGI middleware: request ids and Prometheus request metrics.

Pure ASGI (not BaseHTTPMiddleware) keeps streaming responses (SSE, video ranges) intact
and adds almost nothing per request.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelforge.api.context import request_id_var
from reelforge.api.errors import send_internal_error as send_with_id_error
from reelforge.jobs.pacing import Foreground

REQUESTS = Counter("reelforge_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "reelforge_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, foreground: Foreground | None = None) -> None:
        self.app = app
        self.foreground = foreground  # tells the embedded runner to give way

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.foreground is not None:
            self.foreground.started()
        incoming = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = incoming if incoming and _VALID_ID.match(incoming) else "req_" + secrets.token_hex(8)
        token = request_id_var.set(rid)
        structlog.contextvars.bind_contextvars(request_id=rid)
        start = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Handled here, inside the request's context, so the 500 envelope and its
            # log line carry the request id (Starlette's outermost handler runs after
            # the context is gone: request_id was null there).
            if status_holder.get("started"):
                raise  # the response is half-sent; the server closes the connection
            status_holder["status"] = 500
            await send_with_id_error(send_with_id, exc)
        finally:
            if self.foreground is not None:
                self.foreground.finished()
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            LATENCY.labels(method, path).observe(time.perf_counter() - start)
            REQUESTS.labels(method, path, str(status_holder["status"])).inc()
            structlog.contextvars.unbind_contextvars("request_id")
            request_id_var.reset(token)
