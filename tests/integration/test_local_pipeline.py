"""The local engine inside real runs: a sandbox video model → local last frame → local
grade, and local steps on uploaded media (API + database + runner)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from reelforge.container import Container
from tests.integration.test_runs_api import wait_run
from tests.media_helpers import all_frames, make_tone, make_video


async def _upload(client: httpx.AsyncClient, path: Path) -> str:
    r = await client.post("/v1/uploads", files={"file": (path.name, path.read_bytes())})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_local_steps_chain_after_a_remote_one(
    run_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    pipeline = {
        "nodes": [
            {"id": "still", "model": "fal/flux-dev", "prompt": "a lighthouse", "seed": 3},
            {"id": "motion", "model": "fal/wan-i2v", "prompt": "waves roll in"},
            {"id": "last", "model": "local/last-frame"},
            {"id": "look", "model": "local/grade", "params": {"look": "warm"}},
        ],
        "edges": [
            {"from": "still", "to": "motion"},
            {"from": "motion", "to": "last"},
            {"from": "last", "to": "look"},
        ],
    }
    r = await run_client.post("/v1/runs", json={"pipeline": pipeline})
    assert r.status_code == 202, r.text
    run = await wait_run(run_client, r.json()["id"], timeout=120)
    assert run["status"] == "succeeded", json.dumps(run, default=str)[:3000]
    steps = {s["node_id"]: s for s in run["steps"]}
    video = (await run_client.get(f"/v1/artifacts/{steps['motion']['outputs'][0]}/content")).content
    last = (await run_client.get(f"/v1/artifacts/{steps['last']['outputs'][0]}/content")).content
    (tmp_path / "motion.mp4").write_bytes(video)
    expected = all_frames(tmp_path / "motion.mp4")[-1]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(last)).convert("RGB")), expected)
    graded = (await run_client.get(f"/v1/artifacts/{steps['look']['outputs'][0]}")).json()
    assert graded["media_type"] == "image" and graded["provenance"]["model"] == "local/grade"
    assert steps["look"]["cost_micros"] == 0


async def test_local_mux_on_uploads(run_client: httpx.AsyncClient, tmp_path: Path) -> None:
    video = await _upload(run_client, make_video(tmp_path / "v.mp4", seconds=2.0, audio=False))
    tone = await _upload(run_client, make_tone(tmp_path / "t.wav", seconds=1.0, volume=0.2))
    r = await run_client.post(
        "/v1/generations",
        json={
            "model": "local/mux-audio",
            "inputs": [
                {"artifact_id": video, "slot": "video"},
                {"artifact_id": tone, "slot": "audio"},
            ],
        },
        headers={"Prefer": "wait=60"},
    )
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "succeeded", json.dumps(run, default=str)[:2000]
    assert run["cost_micros"] == 0
    meta = (await run_client.get(f"/v1/artifacts/{run['outputs'][0]['artifact_id']}")).json()
    assert meta["media_type"] == "video"


async def test_bad_media_fails_the_local_step_clearly(
    run_client: httpx.AsyncClient, running: Container, tmp_path: Path
) -> None:
    clip = make_video(
        tmp_path / "c.mp4", seconds=2.0, audio=False, extra=("-movflags", "+faststart")
    )
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size * 2 // 3])
    # The upload door refuses it (test_upload_integrity); media stored another way that
    # turns out damaged still fails its step clearly.
    refused = await run_client.post("/v1/uploads", files={"file": (cut.name, cut.read_bytes())})
    assert refused.status_code == 415 and refused.json()["error"]["code"] == "UNSUPPORTED_MEDIA"
    owner = (await run_client.get("/v1/me")).json()["id"]
    artifact = (await running.artifacts.put_file(cut, owner_id=owner)).id
    r = await run_client.post(
        "/v1/generations",
        json={"model": "local/film-grain", "inputs": [{"artifact_id": artifact}]},
        headers={"Prefer": "wait=60"},
    )
    run = r.json()
    assert run["status"] == "failed", json.dumps(run, default=str)[:2000]
    assert "UNSUPPORTED_MEDIA" in json.dumps(run)
