"""What a rate-limit check costs a generation request (api/ratelimit.py on the `limits`
library, moving window, a per-key and a per-user limit): p50/p99 per check on memory://
and on the machine's Redis, sequential, with limits high enough that nothing is refused."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import redis.asyncio as aioredis

from bench.loadgen import percentile
from reelforge.api.ratelimit import RateLimiter
from reelforge.domain.identity import Principal, Role

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _measure(url: str, n: int) -> dict[str, Any]:
    prefix = f"rf-bench-{uuid.uuid4().hex[:8]}"
    limiter = RateLimiter(url, per_user=10**7, per_key=10**7, key_prefix=prefix)
    caller = Principal(user_id="usr_bench", role=Role.MEMBER, api_key_id="key_bench")
    times: list[float] = []
    try:
        for _ in range(50):  # warm-up (connections, scripts)
            await limiter.check(caller)
        for _ in range(n):
            t0 = time.perf_counter()
            await limiter.check(caller)
            times.append(time.perf_counter() - t0)
    finally:
        await limiter.aclose()
        if url.startswith("redis"):
            client = aioredis.from_url(url)
            keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
    return {
        "n": n,
        "p50_us": round(percentile(times, 50) * 1e6, 1),
        "p99_us": round(percentile(times, 99) * 1e6, 1),
    }


def run(n: int = 2000) -> dict[str, Any]:
    # A moving window keeps one entry per request in the window: n stays below what a
    # real limit would allow in a minute, so this is the cost at a full window.
    return {
        "memory": asyncio.run(_measure("memory://", n)),
        "redis": asyncio.run(_measure(REDIS_URL, n)),
    }
