"""A small closed-loop HTTP load generator (httpx, asyncio) for loopback benchmarks.

It shares the machine with the server under test, so figures are a floor, not a ceiling.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(
    latencies: list[float], errors: int, concurrency: int, duration: float
) -> dict[str, float]:
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / duration, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else float("nan"),
        "concurrency": concurrency,
        "duration_s": duration,
    }


async def closed_loop(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    concurrency: int = 16,
    duration: float = 5.0,
    warmup: float = 1.0,
    expect_status: int = 200,
) -> dict[str, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(limits=limits, headers=headers, timeout=30) as client:
        stop_warm = time.perf_counter() + warmup
        stop = stop_warm + duration

        async def worker() -> None:
            nonlocal errors
            while True:
                t0 = time.perf_counter()
                if t0 >= stop:
                    return
                r = await client.request(method, url, json=json_body)
                t1 = time.perf_counter()
                if t0 >= stop_warm:
                    if r.status_code != expect_status:
                        errors += 1
                    latencies.append(t1 - t0)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summary(latencies, errors, concurrency, duration)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def raw_closed_loop(
    host: str,
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    concurrency: int = 16,
    duration: float = 5.0,
    warmup: float = 1.0,
    expect_status: int = 200,
) -> dict[str, float]:
    """The same closed loop over raw keep-alive HTTP/1.1 connections: a few microseconds of
    client work per request (httpx costs ~0.5 ms), so the server, not the load generator,
    is what gets measured when both share the machine."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    latencies: list[float] = []
    errors = 0
    stop_warm = time.perf_counter() + warmup
    stop = stop_warm + duration

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                t0 = time.perf_counter()
                if t0 >= stop:
                    return
                writer.write(request)
                status, _ = await _read_response(reader)
                t1 = time.perf_counter()
                if t0 >= stop_warm:
                    if status != expect_status:
                        errors += 1
                    latencies.append(t1 - t0)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summary(latencies, errors, concurrency, duration)
