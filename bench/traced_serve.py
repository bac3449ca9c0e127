"""``reelforge serve`` with tracemalloc on, for bench/bench_soak.py ``--trace DIR`` (bench only).

Run as ``python -m bench.traced_serve serve --port N``: the ordinary CLI entry point, so the
server has its lifespan and its runner (an in-process ASGITransport has neither). The first
SIGUSR1 (sent after warm-up) collects and starts tracemalloc, so only what is allocated from
then on is traced (tracing the imports makes start-up take minutes); each one writes
``DIR/snap-<n>.txt`` (RSS, traced total, gc counts, the most numerous object types) and,
from the second on, ``DIR/snap-<n>.pickle``: a snapshot of what was allocated after warm-up
and is still alive, after a full collection.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import signal
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from types import FrameType


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_parts() -> str:
    """RSS split: anonymous (the heaps), file-backed (code, mmaps), shared memory (e.g.
    SQLite's WAL index)."""
    parts = []
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:", "RssShmem:")):
            name, kib = line.split()[:2]
            parts.append(f"{name.rstrip(':')}={int(kib) / 1024:.1f}")
    return " ".join(parts)


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
            "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _native() -> str:
    """What Python's own tracing cannot see: glibc's heap (in use, free inside it) and
    SQLite's allocator (page caches, statements)."""
    out = []
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallinfo2.restype = _MallInfo2
        mi = libc.mallinfo2()
        mib = 2**20
        out.append(
            f"glibc arena={mi.arena / mib:.1f} mmapped={mi.hblkhd / mib:.1f}"
            f" in_use={mi.uordblks / mib:.1f} free={mi.fordblks / mib:.1f}"
        )
    except (OSError, AttributeError):
        out.append("glibc mallinfo2 unavailable")
    try:
        import _sqlite3

        lib = ctypes.CDLL(_sqlite3.__file__)
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        out.append(f"sqlite memory_used={lib.sqlite3_memory_used() / 2**20:.1f}")
    except (OSError, AttributeError):
        out.append("sqlite memory_used unavailable")
    return "\n".join(out)


def _dump(out: Path, n: int) -> None:
    before = _rss_mib()
    traced_before = tracemalloc.get_traced_memory()[0]
    unreachable = gc.collect()
    lines = [
        f"rss_mib_before_collect {before:.1f}",
        f"traced_mib_before_collect {traced_before / 2**20:.2f}",
        f"gc_collect_found {unreachable}",
        f"rss_mib {_rss_mib():.1f}",
        f"traced_mib {tracemalloc.get_traced_memory()[0] / 2**20:.2f}",
        f"gc_count {gc.get_count()} frozen {gc.get_freeze_count()}",
        _rss_parts(),
        _native(),
    ]
    types = Counter(type(o).__qualname__ for o in gc.get_objects())
    lines += [f"  {count:8d} {name}" for name, count in types.most_common(40)]
    frames = int(os.environ.get("REELFORGE_BENCH_TRACE_FRAMES", "12"))
    if frames == 0:
        pass  # figures only: the server at full speed
    elif tracemalloc.is_tracing():
        snap = tracemalloc.take_snapshot()
        snap = snap.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        snap.dump(str(out / f"snap-{n}.pickle"))
    else:
        tracemalloc.start(frames)
    needle = os.environ.get("REELFORGE_BENCH_TRACE_NEEDLE")
    if needle:
        lines += _holders(needle)
    if n > 1:  # not at warm-up: a trim there would lower the baseline the soak compares to
        lines.insert(7, _trimmed())
    (out / f"snap-{n}.txt").write_text("\n".join(lines) + "\n")


def _describe(obj: object) -> str:
    if isinstance(obj, dict):
        return f"dict{sorted(map(str, obj))[:8]}"
    if isinstance(obj, (list, tuple, set, frozenset)):
        return f"{type(obj).__name__}[{len(obj)}]"
    return type(obj).__qualname__


def _holders(needle: str, samples: int = 4, depth: int = 6) -> list[str]:
    """Containers holding ``needle`` as a value (e.g. the soak's prompt), and for a few of
    them the chain of what holds those, so a growth can be traced to its owner."""
    found: list[dict[object, object]] = []
    seen: set[int] = set()
    for o in gc.get_objects():
        # A dict of atomic values only is not tracked by the collector: reach it through
        # whatever holds it.
        inner = [r for r in gc.get_referents(o) if isinstance(r, dict) and not gc.is_tracked(r)]
        for d in [o, *inner] if isinstance(o, dict) else inner:
            if id(d) not in seen:
                seen.add(id(d))
                if needle in [v for v in d.values() if isinstance(v, str)]:
                    found.append(d)
    lines = [f"containers holding {needle!r}: {len(found)}"]
    kinds = Counter(_describe(o) for o in found)
    lines += [f"  {n:6d} {kind}" for kind, n in kinds.most_common(8)]
    picks = found[-samples:]
    skip = {id(found), id(lines), id(picks)}  # this function's own references
    for start in picks:
        chain, obj = [], start
        for _ in range(depth):
            refs = gc.get_referrers(obj)
            skip.add(id(refs))
            refs = [r for r in refs if id(r) not in skip and not isinstance(r, FrameType)]
            skip.add(id(refs))
            if not refs:
                break
            obj = refs[0]
            chain.append(" | ".join(_describe(r) for r in refs[:4]))
        lines.append("  held by: " + "  <-  ".join(chain))
    return lines


def _trimmed() -> str:
    """RSS after glibc's malloc_trim(0): what the heap held free and gave back (what it
    cannot give back is fragmentation, or still in use)."""
    before = _rss_mib()
    try:
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
    except (OSError, AttributeError):
        return "malloc_trim unavailable"
    return f"after malloc_trim(0): rss_mib {_rss_mib():.1f} (gave back {before - _rss_mib():.1f})"


def _heap_log(path: Path, every: float) -> None:
    """Every ``every`` seconds one line: RSS parts, glibc's heap, SQLite's memory."""
    started = time.monotonic()
    with path.open("a") as log:
        while True:
            t = time.monotonic() - started
            native = _native().replace("\n", " ")
            log.write(f"t={t:.0f} rss={_rss_mib():.1f} {_rss_parts()} {native}\n")
            log.flush()
            time.sleep(every)


def main() -> None:
    out = Path(os.environ["REELFORGE_BENCH_TRACE_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    taken = [0]

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        taken[0] += 1
        _dump(out, taken[0])

    signal.signal(signal.SIGUSR1, on_signal)
    every = float(os.environ.get("REELFORGE_BENCH_TRACE_EVERY", "0"))
    if every > 0:
        threading.Thread(target=_heap_log, args=(out / "heap.log", every), daemon=True).start()
    from reelforge.cli.main import main as cli_main

    sys.argv[0] = "reelforge"
    cli_main()


if __name__ == "__main__":
    main()
