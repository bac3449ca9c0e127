"""`POST /v1/generations` on a real `reelforge serve` (SQLite, embedded runner):

1. sustained submissions per second and p50/p99 latency (202 answers; the runner works the
   accepted generations in the same process meanwhile, on the in-process sandbox);
2. gateway overhead: a fast image model on its emulator (live provider on 127.0.0.1) called
   directly vs through `POST /v1/generations` with `Prefer: wait`, durable rows included.
Goals (issue 7): >= 1,000 submissions/s with p99 < 50 ms; p50 added latency < 5 ms.
The same overhead for every synchronous provider: bench/bench_sync_overhead.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
from tests.helpers import serve_asgi

from bench.loadgen import percentile, raw_closed_loop
from bench.server import reelforge_server
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.together import SANDBOX_CREDENTIAL, create_app

MODEL = "together/flux-1-schnell-free"


async def _sequential(call: Any, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        await call()
        times.append(time.perf_counter() - t0)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "n": len(times),
        "p50_ms": round(percentile(times, 50) * 1000, 2),
        "p99_ms": round(percentile(times, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(times) * 1000, 2),
    }


def submissions(
    duration: float = 5.0, concurrency: int = 16, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_KEY", "_SECRET", "_TOKEN"))}
    with reelforge_server(extra_env, base_env=env) as (base, key, _home, _pid):
        host, port = base.removeprefix("http://").split(":")
        return asyncio.run(
            raw_closed_loop(
                host,
                int(port),
                "/v1/generations",
                method="POST",
                headers={"Authorization": f"Bearer {key}"},
                body=json.dumps({"model": MODEL, "prompt": "a paper boat"}).encode(),
                concurrency=concurrency,
                duration=duration,
                expect_status=202,
            )
        )


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def overhead(n: int = 500, warmup: int = 50) -> dict[str, Any]:
    emulator = create_app(EmulatorConfig(queue_seconds=0.0, run_seconds=0.0, image_run_seconds=0.0))
    with serve_asgi(emulator) as emu:
        extra = {
            "TOGETHER_API_KEY": SANDBOX_CREDENTIAL["api_key"],
            "REELFORGE_PROVIDER_BASE_URLS": json.dumps({"together": emu}),
            "REELFORGE_FETCH_ALLOW_HOSTS": json.dumps([emu.removeprefix("http://")]),
        }
        with reelforge_server(extra) as (base, key, _home, pid):

            async def measure() -> tuple[list[float], list[float], int, float]:
                body = {
                    "model": "black-forest-labs/FLUX.1-schnell-Free",
                    "prompt": "a kite",
                    "response_format": "url",
                }
                headers = {"Authorization": f"Bearer {SANDBOX_CREDENTIAL['api_key']}"}
                async with httpx.AsyncClient(timeout=60) as c:

                    async def direct() -> None:
                        r = await c.post(f"{emu}/v1/images/generations", json=body, headers=headers)
                        url = r.json()["data"][0]["url"]
                        (await c.get(url)).raise_for_status()  # the gateway downloads it too

                    failures = 0

                    async def gateway() -> None:
                        nonlocal failures
                        r = await c.post(
                            f"{base}/v1/generations",
                            json={"model": MODEL, "prompt": "a kite"},
                            headers={"Authorization": f"Bearer {key}", "Prefer": "wait=30"},
                        )
                        if r.status_code != 200 or r.json()["status"] != "succeeded":
                            failures += 1

                    # Warm both paths (connections, caches, the first runs' lazy setup).
                    await _sequential(direct, warmup)
                    await _sequential(gateway, warmup)
                    # Interleaved, so that whatever else the machine does falls on both.
                    d: list[float] = []
                    g: list[float] = []
                    serve_cpu = 0.0
                    for _ in range(n):
                        d += await _sequential(direct, 1)
                        before = _cpu_seconds(pid)
                        g += await _sequential(gateway, 1)
                        serve_cpu += _cpu_seconds(pid) - before
                    return d, g, failures, serve_cpu

            d, g, failures, serve_cpu = asyncio.run(measure())
    return {
        "direct": _summary(d),
        "gateway_prefer_wait": _summary(g),
        "added_p50_ms": round((percentile(g, 50) - percentile(d, 50)) * 1000, 2),
        # CPU of the serve process per gateway call (what the added latency is made of).
        "serve_cpu_ms_per_call": round(serve_cpu / n * 1000, 2),
        "gateway_failures": failures,
    }


def run() -> dict[str, Any]:
    return {
        "submissions": submissions(),
        "overhead": overhead(),
        "load_average_1m": os.getloadavg()[0],
        "goals": {"submissions_per_s": 1000, "p99_ms": 50, "added_p50_ms": 5},
    }
