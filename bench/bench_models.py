"""``GET /v1/models`` p50/p99 with the full catalog cached, on a real ``reelforge serve``
(sandbox mode: the catalog is the Atlas emulator's ~240 entries, discovered once before
measuring). Also the i2v listing and one model's detail."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from bench.loadgen import closed_loop
from bench.server import reelforge_server

MODEL = "atlas/bytedance/seedance-v1-pro-i2v-480p"


def run(duration: float = 5.0, concurrency: int = 8) -> dict[str, Any]:
    with reelforge_server() as (base, key, _home, _pid):
        headers = {"Authorization": f"Bearer {key}"}
        warm = httpx.get(f"{base}/v1/models", headers=headers, timeout=60)
        warm.raise_for_status()
        httpx.get(f"{base}/v1/models/{MODEL}", headers=headers, timeout=60).raise_for_status()
        count = warm.json()["count"]

        def measure(path: str, conc: int) -> dict[str, float]:
            return asyncio.run(
                closed_loop(f"{base}{path}", headers=headers, concurrency=conc, duration=duration)
            )

        return {
            "models_in_catalog": count,
            "response_bytes": len(warm.content),
            # Baselines on the same server: no auth, no catalog / auth only, no catalog.
            "healthz_serial": measure("/healthz", 1),
            "v1_me_serial": measure("/v1/me", 1),
            "v1_models_serial": measure("/v1/models", 1),
            "v1_models": measure("/v1/models", concurrency),
            "v1_models_mode_i2v": measure("/v1/models?mode=i2v", concurrency),
            "v1_model_detail": measure(f"/v1/models/{MODEL}", concurrency),
            "note": "server: 1 uvicorn process, authenticated requests (API key lookup per "
            "request); load generator: 1 Python process on the same 2-core host",
        }
