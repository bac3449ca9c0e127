"""The MCP door: one set of tools (tools.py) over the ``/v1`` API (backend.py), served at
``/mcp`` over streamable HTTP (http.py) and by ``reelforge mcp`` over stdio."""
