"""Benchmark runner: ``python -m bench.run [NAME ...]`` prints one JSON object per benchmark.

Benchmarks are run on purpose, never by the test suite, and never assert a time.
Each module ``bench/bench_<name>.py`` exposes ``run() -> dict``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
import time
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )


def machine() -> dict[str, object]:
    import os

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "system": platform.system(),
    }


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {unknown}; available: {available()}", file=sys.stderr)
        return 2
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        started = time.time()
        figures = module.run()
        print(
            json.dumps(
                {"benchmark": name, "machine": machine(), "started": started, "figures": figures},
                indent=2,
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
