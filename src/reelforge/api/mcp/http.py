"""``/mcp``: the MCP server over streamable HTTP, behind the same Bearer keys as ``/v1``.

The key is checked before the SDK sees the request (401 in our envelope without one);
each tool then calls ``/v1`` in process with that key, so what a key may do and see is
exactly what it may do and see over ``/v1``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from mcp.server.mcpserver import Context
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from reelforge.api.deps import get_principal
from reelforge.api.errors import envelope
from reelforge.api.mcp.backend import Backend
from reelforge.api.mcp.tools import build_server
from reelforge.container import Container
from reelforge.domain.errors import ReelForgeError

PATH = "/mcp"


class McpDoor:
    """The ASGI endpoint at /mcp, and the lifespan its session manager needs."""

    def __init__(self, container: Container, app: Callable[[], ASGIApp]) -> None:
        self.container = container
        self._app = app  # the whole API app, called in process by the tools
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self.server = build_server(self._backend_for)
        self.manager = StreamableHTTPSessionManager(
            app=self.server._lowlevel_server,
            # Keys, not origins, protect this door (a rebinding page has no key).
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

    def _backend_for(self, ctx: Context) -> Backend:
        assert self._client is not None, "the /mcp lifespan is not running"
        auth = (ctx.headers or {}).get("authorization", "")
        return Backend(self._client, {"Authorization": auth})

    async def _serve(self, ready: asyncio.Event, stop: asyncio.Event) -> None:
        transport = httpx.ASGITransport(app=self._app())
        async with httpx.AsyncClient(
            transport=transport, base_url="http://reelforge.internal", timeout=120.0
        ) as client:
            self._client = client
            async with self.manager.run():
                ready.set()
                await stop.wait()
            self._client = None

    async def _ensure_running(self) -> None:
        """Started by the first /mcp request, not the app's lifespan: the app also runs
        where no lifespan is sent (tests, embedding), and the manager runs only once."""
        if self._task is None:
            ready, self._stop = asyncio.Event(), asyncio.Event()
            self._task = asyncio.create_task(self._serve(ready, self._stop))
            self._ready = ready
            self.container._closers.append(self.aclose)
        assert self._ready is not None
        await self._ready.wait()

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None and self._stop is not None:
            self._stop.set()
            await task

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            await get_principal(request, self.container)
        except ReelForgeError as exc:
            await envelope(exc)(scope, receive, send)
            return
        await self._ensure_running()
        await self.manager.handle_request(scope, receive, send)
