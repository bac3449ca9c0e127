"""Healthcheck latency (GET /v1/setup/healthcheck's service) from a fresh sandbox home:
every engine, provider, tool and system probe at once, first with nothing hanging, then
with one and with three providers hanging (their emulators never answer). Goal: with
hangs, the answer is bounded by the per-probe timeout, not by the number of hangs."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from reelforge.api.routes.setup import setup_hub
from reelforge.app import open_container
from reelforge.settings import Settings

TIMEOUT = 2.0
ROUNDS = 5
HANGING = ("runway", "kling", "luma")


async def _rounds(hub: Any, owner: str, rounds: int) -> dict[str, Any]:
    walls: list[float] = []
    sums: list[float] = []
    errors = 0
    for _ in range(rounds):
        started = time.perf_counter()
        matrix = await hub.healthcheck(owner)
        walls.append(time.perf_counter() - started)
        rows = [r for s in ("engines", "providers", "tools", "system") for r in matrix[s]]
        sums.append(sum(r["elapsed_ms"] for r in rows) / 1000)
        errors = sum(1 for r in matrix["providers"] if r["status"] == "error")
    return {
        "wall_ms_p50": round(statistics.median(walls) * 1000, 1),
        "wall_ms_max": round(max(walls) * 1000, 1),
        "probes_ms_sum_p50": round(statistics.median(sums) * 1000, 1),
        "providers_in_error": errors,
        "rows": len(rows),
    }


async def _measure(home: Path) -> dict[str, Any]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        home=home,
        sandbox=True,
        log_level="WARNING",
        setup_check_timeout_seconds=TIMEOUT,
    )
    figures: dict[str, Any] = {"probe_timeout_ms": TIMEOUT * 1000, "rounds": ROUNDS}
    async with open_container(settings) as container:
        hub = setup_hub(container)
        await hub.healthcheck("bench")  # warm: imports, voice registry, first DB use
        figures["nothing_hanging"] = await _rounds(hub, "bench", ROUNDS)
        fault = {"kind": "timeout", "on": "any", "times": -1, "seconds": 600}
        for count in (1, 3):
            for name in HANGING[:count]:
                endpoint = container.hub.sandbox_endpoints[name]
                await endpoint.client.post("/__emulator/faults", json=fault)
            key = f"{count}_hanging"
            figures[key] = await _rounds(hub, "bench", ROUNDS)
            figures[key]["wall_over_timeout"] = round(
                figures[key]["wall_ms_max"] / (TIMEOUT * 1000), 3
            )
    return figures


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(_measure(Path(tmp) / "home"))
    figures["note"] = (
        "in-process sandbox emulators; a hanging provider's probe is cancelled at the "
        "timeout; probes_ms_sum is what running them one after another would cost"
    )
    return figures


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(), indent=2) + "\n")
