"""The event loop long-running commands use: uvloop where it is installed (it comes with
``uvicorn[standard]`` on Linux and macOS), asyncio's own otherwise."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import os
import platform
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)
MALLOC_ARENAS = 2


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    limit_malloc_arenas()  # before the loop and its threads: arenas made earlier stay
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


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (as ``MALLOC_ARENA_MAX`` would); True if it was set.

    glibc gives threads their own arenas, up to 8 per core, and each keeps the memory
    freed in it for reuse rather than returning it. A server's threads (render and file
    work, thread pools) came one by one under load, and each new arena added its peak to
    the RSS for good: in issue 25's soak glibc held ~23-33 MiB free, stepping up as the load
    changed; capped at 2, ~12 MiB (bench/bench_soak.py --trace). Native allocations only:
    Python's own objects use pymalloc. An explicit ``MALLOC_ARENA_MAX`` is left to rule.
    """
    if "MALLOC_ARENA_MAX" in os.environ or platform.libc_ver()[0] != "glibc":
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        return bool(ctypes.CDLL(name).mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
