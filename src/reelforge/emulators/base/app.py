"""Building an emulator app: the provider's routes plus the shared admin and file routes.

Admin routes (not part of any provider's API, so they live under ``/__emulator``):
``GET /__emulator/stats``, ``POST /__emulator/faults`` ({kind, on, times, seconds, status,
message}), ``DELETE /__emulator/faults``, ``POST /__emulator/reset``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reelforge.emulators.base.faults import Fault
from reelforge.emulators.base.files import CONTENT_TYPES
from reelforge.emulators.base.restore import RestoreMiddleware, scope_route_path
from reelforge.emulators.base.state import EmulatorState, FaultRaised

EXPIRED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


def create_emulator_app(state: EmulatorState, routes: Sequence[BaseRoute]) -> Starlette:
    async def stats(_request: Request) -> Response:
        return JSONResponse(state.stats())

    async def add_fault(request: Request) -> Response:
        body = await request.json()
        fault = state.faults.add(**body)
        return JSONResponse(fault.to_dict(), status_code=201)

    async def clear_faults(_request: Request) -> Response:
        state.faults.clear()
        return Response(status_code=204)

    async def reset(_request: Request) -> Response:
        state.reset()
        return Response(status_code=204)

    async def file(request: Request) -> Response:
        name = request.path_params["name"]
        stored = state.files.lookup(name)
        if stored is None:
            return Response(b"Not Found", status_code=404)
        expired = state.faults.take("files", frozenset({"expired_output"})) is not None
        if expired or stored.expires_at < time.time():
            return Response(EXPIRED_BODY, status_code=403, media_type="application/xml")
        await state.gate("files")
        # Rendering is CPU work: keep it off the event loop (sandbox emulators share it).
        content = await asyncio.to_thread(state.files.content, stored)
        return Response(content, media_type=CONTENT_TYPES[stored.ext])

    async def fault_handler(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FaultRaised)
        return state.render_error(exc.kind, exc.fault, exc.message)

    app = Starlette(
        routes=[
            Route("/__emulator/stats", stats, methods=["GET"]),
            Route("/__emulator/faults", add_fault, methods=["POST"]),
            Route("/__emulator/faults", clear_faults, methods=["DELETE"]),
            Route("/__emulator/reset", reset, methods=["POST"]),
            Route("/files/{name}", file, methods=["GET"]),
            *routes,
        ],
        exception_handlers={FaultRaised: fault_handler},
        middleware=[Middleware(RestoreMiddleware, state=state)] if state.durable else [],
    )
    app.state.emulator = state
    return app


def retry_after_headers(fault: Fault | None, default: float = 2.0) -> dict[str, str]:
    seconds = fault.seconds if fault is not None and fault.seconds else default
    return {"Retry-After": str(max(1, round(seconds)))}


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object body, or a provider-shaped validation error."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise FaultRaised("validation", message="request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise FaultRaised("validation", message="request body must be a JSON object")
    return body


def route_path(request: Request) -> str:
    """The request's path inside the emulator app: without the prefix it is mounted under
    (``reelforge emulate`` serves each emulator at ``/<provider>``; Starlette keeps the
    prefix in ``request.url.path`` and puts it in ``root_path``)."""
    return scope_route_path(request.scope)


def malformed_response() -> Response:
    return Response(b'{"id": "trunc', status_code=200, media_type="application/json")
