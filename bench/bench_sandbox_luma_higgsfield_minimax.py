"""The luma, higgsfield and minimax emulators driven through their adapters: submissions
per second, and the wall time of one whole generation (submit, poll, and for MiniMax the
file retrieve) plus the first download of its output (rendered then: a 5-6 s video, or a
Higgsfield Soul image)."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from bench.server import free_port
from reelforge.domain.modes import Mode
from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.providers.base import Credential, GenerationRequest
from reelforge.providers.plugins import load_registry
from reelforge.providers.polling import generate

REQUESTS = {
    "luma": GenerationRequest(
        model="ray-2", mode=Mode.T2V, prompt="bench", params={"duration": 5, "resolution": "720p"}
    ),
    "higgsfield": GenerationRequest(
        model="soul", mode=Mode.T2I, prompt="bench", params={"width_and_height": "1536x2048"}
    ),
    "minimax": GenerationRequest(
        model="MiniMax-Hailuo-2.3", mode=Mode.T2V, prompt="bench", params={"duration": 6}
    ),
}


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _measure(name: str, url: str, duration: float, concurrency: int) -> dict[str, Any]:
    cls = load_registry().get(name)
    assert cls is not None
    credential = Credential(name, registry.load(name).sandbox_credential, "sandbox")
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30) as client:
        provider = cls(client, base_url=url)
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await provider.submit(REQUESTS[name], credential)
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
        started = time.perf_counter()
        result = await generate(provider, REQUESTS[name], credential, interval=0.05, timeout=60)
        size = len((await client.get(result.url)).content)
        whole = time.perf_counter() - started
    latencies.sort()
    return {
        "submits_per_second": round(len(latencies) / elapsed, 1),
        "submit_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "submit_p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000, 2),
        "generation_and_first_download_ms": round(whole * 1000, 1),
        "output_bytes": size,
    }


def run(duration: float = 3.0, concurrency: int = 8) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    config = EmulatorConfig(queue_seconds=0.05, run_seconds=0.2, image_run_seconds=0.05)
    for name in REQUESTS:
        with serve_asgi(registry.load(name).create_app(config)) as url:
            figures[name] = asyncio.run(_measure(name, url, duration, concurrency))
    figures["note"] = (
        f"one uvicorn thread per emulator; client: one asyncio loop, {concurrency} concurrent "
        f"submitters for {duration:g} s, same host; emulated queue 0.05 s + run 0.2 s"
    )
    return figures
