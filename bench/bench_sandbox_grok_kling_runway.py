"""The grok, kling and runway emulators as sandbox mode uses them: submissions per second
through each adapter (Kling's includes minting/verifying the JWT), and how long the first
download of a finished output takes (it is rendered then: a 5 s video, or an image)."""

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
    "grok": GenerationRequest(
        model="grok-imagine-video", mode=Mode.T2V, prompt="bench", params={"duration": 5}
    ),
    "kling": GenerationRequest(
        model="kling-v2-5-turbo", mode=Mode.T2V, prompt="bench", params={"duration": "5"}
    ),
    "runway": GenerationRequest(
        model="gen4.5", mode=Mode.T2V, prompt="bench", params={"ratio": "1280:720", "duration": 5}
    ),
}


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """The emulator on 127.0.0.1 in a background thread, as sandbox mode runs it."""
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
    spec = registry.load(name)
    cls = load_registry().get(name)
    assert cls is not None
    credential = Credential(name, spec.sandbox_credential, "sandbox")
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
        result = await generate(provider, REQUESTS[name], credential, interval=0.05, timeout=60)
        started = time.perf_counter()
        size = len((await client.get(result.url)).content)
        first_download = time.perf_counter() - started
    latencies.sort()
    return {
        "submits_per_second": round(len(latencies) / elapsed, 1),
        "submit_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "submit_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "first_download_of_5s_video_ms": round(first_download * 1000, 1),
        "video_bytes": size,
    }


def run(duration: float = 3.0, concurrency: int = 8) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    config = EmulatorConfig(queue_seconds=0.05, run_seconds=0.2)
    for name in REQUESTS:
        with serve_asgi(registry.load(name).create_app(config)) as url:
            figures[name] = asyncio.run(_measure(name, url, duration, concurrency))
    figures["note"] = (
        f"one uvicorn thread per emulator; client: one asyncio loop, {concurrency} concurrent "
        f"submitters for {duration:g} s, same host"
    )
    return figures
