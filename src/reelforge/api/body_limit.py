"""Request bodies are bounded before they are buffered whole (413 PAYLOAD_TOO_LARGE).

A declared ``Content-Length`` over the limit is refused at once, without reading a byte;
a body without one (chunked) is counted as it streams by Starlette's
``RequestBodyLimitMiddleware``, which stops the read as soon as the count passes the
limit. Uploads get their own, larger limit; every other body is JSON and small.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from reelforge.api.errors import envelope, too_large

# Multipart framing around the file (boundaries, part headers) on top of the file limit.
MULTIPART_OVERHEAD = 64 * 1024


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        upload_max_bytes: int,
        upload_paths: tuple[str, ...] = ("/v1/uploads",),
    ) -> None:
        self.limits = (max_body_bytes, upload_max_bytes + MULTIPART_OVERHEAD)
        self.upload_paths = upload_paths
        self.small = RequestBodyLimitMiddleware(app, self.limits[0])
        self.large = RequestBodyLimitMiddleware(app, self.limits[1])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.small.app(scope, receive, send)
            return
        upload = scope.get("path", "") in self.upload_paths
        limit = self.limits[1] if upload else self.limits[0]
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await envelope(too_large(limit, declared=int(declared)))(scope, receive, send)
            return
        await (self.large if upload else self.small)(scope, receive, send)
