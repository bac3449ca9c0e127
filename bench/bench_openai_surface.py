"""What the doors for existing clients cost: the same sandbox image through
``POST /openai/v1/images/generations`` and through ``POST /v1/generations`` with
``Prefer: wait`` (goal: within 1.1x and under 1 ms extra at p50), and an MCP ``generate``
round trip (streamable HTTP at /mcp, the image returned inline) beside the native call.

One real ``reelforge serve`` (SQLite, embedded runner, sandbox). The calls are
interleaved (each round starting with another door) so whatever else the machine does
falls on all of them alike; every call is a
new generation (no cache), the same prompt for each door in a round.

    PYTHONPATH=src python -m bench.run openai_surface     # BENCH_DOORS_N=30, BENCH_DOORS_WARMUP=3
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from bench.loadgen import percentile
from bench.server import reelforge_server

MODEL = os.environ.get("BENCH_DOORS_MODEL", "grok/grok-imagine-image")


def _summary(times: list[float]) -> dict[str, float]:
    ms = [t * 1000 for t in times]
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "min_ms": round(min(ms), 2),
    }


async def _timed(call: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def _measure(base: str, key: str, n: int, warmup: int) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {key}"}
    async with (
        httpx.AsyncClient(base_url=base, headers=auth, timeout=120) as c,
        httpx2.AsyncClient(headers=auth, timeout=120) as mcp_http,
        streamable_http_client(f"{base}/mcp", http_client=mcp_http) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()

        def native(prompt: str) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                r = await c.post(
                    "/v1/generations",
                    json={"model": MODEL, "prompt": prompt},
                    headers={"Prefer": "wait=60"},
                )
                assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text

            return call

        def openai(prompt: str) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                r = await c.post(
                    "/openai/v1/images/generations",
                    json={"model": MODEL, "prompt": prompt, "response_format": "url"},
                )
                assert r.status_code == 200 and r.json()["data"][0]["url"], r.text

            return call

        def mcp(prompt: str) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                result = await session.call_tool(
                    "generate", {"generation": {"model": MODEL, "prompt": prompt}}
                )
                assert not result.is_error, result.content

            return call

        doors = {"native": native, "openai": openai, "mcp": mcp}
        times: dict[str, list[float]] = {name: [] for name in doors}
        names = list(doors)
        for i in range(warmup + n):
            # Each round starts with another door: none always follows the same one.
            for name in names[i % 3 :] + names[: i % 3]:
                elapsed = await _timed(doors[name](f"bench shot {i}"))
                if i >= warmup:
                    times[name].append(elapsed)
        # The MCP protocol's own floor: a tool that makes one small /v1 read, beside it.
        floor: dict[str, list[float]] = {"credits_get": [], "mcp_balance_tool": []}
        for _ in range(n):

            async def credits() -> None:
                assert (await c.get("/v1/credits")).status_code == 200

            async def balance() -> None:
                assert not (await session.call_tool("balance", {})).is_error

            floor["credits_get"].append(await _timed(credits))
            floor["mcp_balance_tool"].append(await _timed(balance))
    figures: dict[str, Any] = {name: _summary(t) for name, t in times.items()}
    figures["mcp_floor"] = {name: _summary(t)["p50_ms"] for name, t in floor.items()}
    native_p50 = figures["native"]["p50_ms"]
    for name in ("openai", "mcp"):
        figures[name]["ratio_p50"] = round(figures[name]["p50_ms"] / native_p50, 3)
        figures[name]["extra_p50_ms"] = round(figures[name]["p50_ms"] - native_p50, 2)
        # Paired per round (same prompt, back to back): less noise than p50 - p50.
        deltas = [(a - b) * 1000 for a, b in zip(times[name], times["native"], strict=True)]
        figures[name]["paired_extra_median_ms"] = round(statistics.median(deltas), 2)
    return figures


def run() -> dict[str, Any]:
    n = int(os.environ.get("BENCH_DOORS_N", "30"))
    warmup = int(os.environ.get("BENCH_DOORS_WARMUP", "3"))
    with reelforge_server() as (base, key, _home, _pid):
        figures = asyncio.run(_measure(base, key, n, warmup))
    return {"model": MODEL, "calls_per_door": n, "warmup": warmup, **figures}
