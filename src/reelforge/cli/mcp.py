"""``reelforge mcp``: the MCP server over stdio, for agents that start their tools as
processes (Claude Desktop, Cursor, ...). Its tools are the ones served at ``/mcp``
(api/mcp/tools.py); here they call the configured server (``--server`` /
REELFORGE_SERVER, key from REELFORGE_API_KEY or the owner key file)."""

from __future__ import annotations

import anyio
import httpx

from reelforge.api.mcp.backend import Backend
from reelforge.api.mcp.tools import build_server
from reelforge.cli.client import api_key, server_url
from reelforge.cli.options import ServerOpt


def mcp(server: ServerOpt = None) -> None:
    """Serve ReelForge's tools over MCP on stdio (for an agent's MCP client config)."""
    url = server_url(None, server)
    key = api_key()

    async def main() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30.0, read=660.0)) as c:
            backend = Backend(c, {"Authorization": f"Bearer {key}"})
            await build_server(lambda _ctx: backend).run_stdio_async()

    anyio.run(main)
