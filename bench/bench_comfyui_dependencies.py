"""The plan-time ComfyUI dependency check (``missing_dependencies``) against the emulator on
loopback, for every shipped template: one /object_info/{class} request per node type, in
parallel. Figures per template, with every extension installed and with none."""

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
from reelforge.providers.base import Credential
from reelforge.providers.comfyui import ComfyUIProvider
from reelforge.providers.comfyui.templates import templates

ROUNDS = 20


async def _measure(url: str) -> dict[str, Any]:
    credential = Credential("comfyui", {}, "none")
    figures: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        provider = ComfyUIProvider(client, url)
        for name, template in sorted(templates().items()):
            times: list[float] = []
            missing: list[str] = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                missing = await provider.missing_dependencies(name, credential)
                times.append(time.perf_counter() - started)
            figures[name] = {
                "node_types": len(template.node_types),
                "check_ms_p50": round(statistics.median(times) * 1000, 2),
                "missing": missing,
            }
    return figures


def _serve(extensions: frozenset[str] | None) -> dict[str, Any]:
    app = create_app(EmulatorConfig(comfyui_extensions=extensions))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        return asyncio.run(_measure(f"http://127.0.0.1:{port}"))
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def run() -> dict[str, Any]:
    return {
        "all_extensions": _serve(None),
        "no_extensions": _serve(frozenset()),
        "rounds": ROUNDS,
        "note": "emulator (uvicorn thread) and adapter in one process",
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
