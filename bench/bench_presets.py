"""Time to first result of a preset from a fresh home, in sandbox (seed 001 §1.2: a new
user gets a result in minutes; our goal here is under 60 s).

For each preset a new ``reelforge serve`` starts on an empty data directory (migrations,
owner key, catalog), the inputs are uploaded, the preset is started with
``POST /v1/runs {preset, inputs, quality}`` and followed until it succeeds. Figures: the
server start, the uploads, the run itself, and the total from launching the process.

    PYTHONPATH=src python -m bench.run presets     # BENCH_PRESETS_QUALITY=standard
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from tests.media_helpers import make_image, make_tone, make_video

from bench.server import reelforge_server

GOAL_SECONDS = 60.0


def _upload(client: httpx.Client, path: Path) -> str:
    r = client.post("/v1/uploads", files={"file": (path.name, path.read_bytes())})
    r.raise_for_status()
    return str(r.json()["id"])


def _inputs(preset: str, client: httpx.Client, folder: Path) -> dict[str, Any]:
    if preset == "image_to_video_v1":
        image = make_image(folder / "portrait.png", 512, 640, "tan")
        return {"image": _upload(client, image), "prompt": "slow push in, hair moves"}
    video = make_video(folder / "clip.mp4", seconds=3.0, size="320x240", audio=False)
    audio = make_tone(folder / "line.wav", seconds=3.0, volume=0.3)
    return {"video": _upload(client, video), "audio": _upload(client, audio)}


def one(preset: str, quality: str) -> dict[str, Any]:
    launched = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as tmp,
        reelforge_server({"REELFORGE_SANDBOX": "true"}) as (base, key, _home, _pid),
    ):
        started = time.monotonic()
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as client:
            inputs = _inputs(preset, client, Path(tmp))
            uploaded = time.monotonic()
            r = client.post(
                "/v1/runs",
                json={
                    "preset": preset,
                    "inputs": inputs,
                    "quality": quality,
                    "consent_given": True,
                },
            )
            r.raise_for_status()
            run_id = r.json()["id"]
            while True:
                run = client.get(f"/v1/runs/{run_id}").json()
                if run["status"] in ("succeeded", "failed", "canceled"):
                    break
                if time.monotonic() - uploaded > 300:
                    break
                time.sleep(0.1)
            done = time.monotonic()
    total = done - launched
    return {
        "preset": preset,
        "quality": quality,
        "status": run["status"],
        "steps": [f"{s['node_id']}={s['served_by'] or s['model']}" for s in run["steps"]],
        "server_start_s": round(started - launched, 2),
        "uploads_s": round(uploaded - started, 2),
        "run_s": round(done - uploaded, 2),
        "first_result_s": round(total, 2),
        "under_goal": run["status"] == "succeeded" and total < GOAL_SECONDS,
    }


def run() -> dict[str, Any]:
    quality = os.environ.get("BENCH_PRESETS_QUALITY", "standard")
    results = [one(p, quality) for p in ("image_to_video_v1", "talking_clip_v1")]
    return {"goal_seconds": GOAL_SECONDS, "results": results}
