"""The event loop long-running commands use: uvloop where it is installed (it comes with
``uvicorn[standard]`` on Linux and macOS), asyncio's own otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # e.g. Windows: uvloop does not build there
        return asyncio.run(main)
    return uvloop.run(main)
