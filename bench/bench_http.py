"""Requests per second and p50/p99 latency of ``/healthz`` and of an authenticated,
database-reading endpoint (``GET /v1/me``) on a real ``reelforge serve`` (one process)."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.loadgen import closed_loop
from bench.server import reelforge_server


def run(duration: float = 5.0, concurrency: int = 16) -> dict[str, Any]:
    with reelforge_server() as (base, key, _home, _pid):
        health = asyncio.run(
            closed_loop(f"{base}/healthz", concurrency=concurrency, duration=duration)
        )
        me = asyncio.run(
            closed_loop(
                f"{base}/v1/me",
                headers={"Authorization": f"Bearer {key}"},
                concurrency=concurrency,
                duration=duration,
            )
        )
    return {
        "healthz": health,
        "v1_me_authenticated_db_read": me,
        "note": "server: 1 uvicorn process; load generator: 1 Python process on the same host",
    }
