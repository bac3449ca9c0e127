"""The event loop long-running commands use: uvloop where it is installed (it comes with
``uvicorn[standard]`` on Linux and macOS), asyncio's own otherwise."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # e.g. Windows: uvloop does not build there
        return asyncio.run(main)
    return uvloop.run(main)


def settle_heap() -> None:
    """Call once a long-running process has built its services.

    What was built at start (catalog, schemas, emulators, clients) lives as long as the
    process. Frozen, the collector no longer walks it, and full collections come rarely:
    with them a burst of requests saw ~100 ms pauses at the 99th percentile, without them
    ~30 ms (bench/bench_generations.py). Young objects are still collected often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(5000, 20, 100)
