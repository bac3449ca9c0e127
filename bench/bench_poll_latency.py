"""How soon a finished task is collected: the time from a sandbox task's end (each
emulator set to finish its tasks 1.5 s after submission, no queue) to the run's end, per
provider, through the real engine (durable rows, polls, download, artifact stored).

Polls ramp up from 0.25 s toward each provider's documented interval (engine.polling.
ramped); before, the first poll came one whole interval after submission (Kling and MiniMax
10 s, Runway 6 s, Luma and xAI 5 s), so a 1.5 s task was collected after 5-10 s.

    PYTHONPATH=src:. python bench/bench_poll_latency.py     # BENCH_POLL_N=3 runs each
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

import reelforge.app as wiring
from reelforge.app import api_app, open_container
from reelforge.emulators.base import EmulatorConfig
from reelforge.settings import Settings

TASK_SECONDS = 1.5
MODELS = {  # one model per provider, polled by the engine (not answered in hand)
    "kling": ("kling/kling-v2-master", {"duration": "5"}),
    "minimax": ("minimax/hailuo_6s", {}),
    "runway": ("runway/gen4.5", {"ratio": "1280:720", "duration": 5}),
    "luma": ("luma/ray-2", {}),
    "grok": ("grok/grok-imagine-video", {}),
    "fal": ("fal/flux-dev", {}),
    "higgsfield": ("higgsfield/soul", {}),
}


async def _one(client: httpx.AsyncClient, model: str, params: dict[str, Any]) -> float:
    node = {"id": "a", "model": model, "prompt": "a lighthouse", "params": params}
    node["max_micros"] = 2_000_000  # a cap for models whose price is unknown
    began = time.monotonic()
    r = await client.post("/v1/runs", json={"pipeline": {"nodes": [node]}})
    r.raise_for_status()
    run_id = r.json()["id"]
    while True:
        run = (await client.get(f"/v1/runs/{run_id}")).json()
        if run["status"] in ("succeeded", "failed", "canceled"):
            break
        await asyncio.sleep(0.02)
    if run["status"] != "succeeded":
        raise RuntimeError(f"{model}: {run.get('error')}")
    return time.monotonic() - began - TASK_SECONDS


async def main() -> None:
    n = int(os.environ.get("BENCH_POLL_N", "3"))
    # Every sandbox emulator finishes its tasks TASK_SECONDS after submission.
    wiring.EmulatorConfig = functools.partial(  # type: ignore[misc]
        EmulatorConfig, queue_seconds=0.0, run_seconds=TASK_SECONDS, image_run_seconds=TASK_SECONDS
    )
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            home=Path(tmp),
            sandbox=True,
            log_level="WARNING",
        )
        async with open_container(settings, start_runner=True) as container:
            key = settings.owner_key_path.read_text().strip()
            transport = httpx.ASGITransport(app=api_app(container))
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://rf",
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            ) as client:
                for provider, (model, params) in MODELS.items():
                    try:
                        lags = [await _one(client, model, params) for _ in range(n)]
                    except Exception as exc:  # a bench reports, it does not stop
                        figures[provider] = {"error": str(exc)[:200]}
                        continue
                    figures[provider] = {
                        "model": model,
                        "after_task_end_s_median": round(statistics.median(lags), 3),
                        "after_task_end_s_max": round(max(lags), 3),
                    }
    print(json.dumps({"task_seconds": TASK_SECONDS, "runs_each": n, "providers": figures}))


if __name__ == "__main__":
    asyncio.run(main())
