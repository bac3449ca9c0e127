"""How a tool reaches ReelForge: the ``/v1`` HTTP API, with the caller's own key.

One implementation of every tool serves both doors: over stdio (``reelforge mcp``) the
backend is the configured server over the network; at ``/mcp`` it is this same app,
called in process (``httpx.ASGITransport``), with the key the MCP request came with. So
auth, scopes, rate limits, quotes, holds and owner checks are those of ``/v1``.
"""

from __future__ import annotations

from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError


class Backend:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}  # the caller's key, for a client shared by callers

    async def call(self, method: str, path: str, **kw: Any) -> Any:
        response = await self.send(method, path, **kw)
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response.content

    async def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """The answer itself (its headers too); an error envelope is raised."""
        headers = {**self.headers, **(kw.pop("headers", None) or {})}
        try:
            response = await self.client.request(method, path, headers=headers, **kw)
        except httpx.TransportError as exc:
            raise ReelForgeError(
                ErrorCode.ENGINE_OFFLINE,
                f"Cannot reach ReelForge at {self.client.base_url}.",
                remediation=("Start it with `reelforge serve`, or set REELFORGE_SERVER.",),
                detail={"reason": str(exc)[:200]},
            ) from exc
        if response.status_code >= 400:
            raise _error(response)
        return response


def _error(response: httpx.Response) -> ReelForgeError:
    try:
        err = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return ReelForgeError(
            ErrorCode.INTERNAL_ERROR, f"The server answered {response.status_code}."
        )
    code = err.get("code", "INTERNAL_ERROR")
    retry = response.headers.get("retry-after")
    return ReelForgeError(
        ErrorCode(code) if code in ErrorCode._value2member_map_ else ErrorCode.INTERNAL_ERROR,
        err.get("message"),
        detail=err.get("detail"),
        remediation=tuple(err.get("remediation") or ()) or None,
        retry_after=float(retry) if retry and retry.isdigit() else None,
    )
