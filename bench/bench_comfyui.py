"""ComfyUI adapter overhead against its emulator on loopback: submit latency (object_info
checks + POST /prompt) and how long after the emulated run a result is in hand (WebSocket
window + /history + /view + data: URI), with several generations in flight."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from typing import Any

import httpx
import uvicorn

from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.comfyui import create_app
from reelforge.providers.base import Credential, GenerationRequest
from reelforge.providers.comfyui import ComfyUIProvider
from reelforge.providers.polling import generate

RUN_SECONDS = 0.5


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


async def _measure(url: str, total: int, concurrency: int) -> dict[str, Any]:
    credential = Credential("comfyui", {}, "none")
    submits: list[float] = []
    overheads: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30) as client:
        provider = ComfyUIProvider(client, url)
        provider.ws_window = 0.25

        async def one(i: int) -> None:
            async with gate:
                request = GenerationRequest(
                    model="sd15_txt2img", mode="t2i", prompt=f"bench {i}", seed=i
                )
                started = time.perf_counter()
                task = await provider.submit(request, credential)
                submitted = time.perf_counter()
                await generate(provider, request, credential, task=task, interval=0.05, timeout=60)
                submits.append(submitted - started)
                overheads.append(time.perf_counter() - submitted - RUN_SECONDS)

        wall = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(total)))
        wall = time.perf_counter() - wall
    return {
        "generations": total,
        "concurrency": concurrency,
        "emulated_run_seconds": RUN_SECONDS,
        "submit_ms_p50": _pct(submits, 0.5),
        "submit_ms_p95": _pct(submits, 0.95),
        "result_after_run_ms_p50": _pct(overheads, 0.5),
        "result_after_run_ms_p95": _pct(overheads, 0.95),
        "result_after_run_ms_mean": round(statistics.mean(overheads) * 1000, 1),
        "wall_seconds": round(wall, 2),
    }


def run(total: int = 24, concurrency: int = 8) -> dict[str, Any]:
    app = create_app(EmulatorConfig(queue_seconds=0.0, run_seconds=RUN_SECONDS))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        figures = asyncio.run(_measure(f"http://127.0.0.1:{port}", total, concurrency))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    figures["note"] = "emulator (uvicorn thread) and adapter in one process; 512x512 PNG outputs"
    return figures
