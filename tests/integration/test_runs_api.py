"""Runs end to end through the API on sandbox emulators: generations, chains, events."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from PIL import Image

from reelforge.container import Container
from reelforge.jobs.embedded import EmbeddedRunner
from tests.stack import open_stack


@pytest.fixture(
    params=[
        "embedded",
        pytest.param("scaleout", marks=[pytest.mark.postgres, pytest.mark.redis, pytest.mark.s3]),
        pytest.param("scaleout-rabbitmq", marks=[pytest.mark.postgres, pytest.mark.s3]),
    ]
)
async def running(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Container]:
    """The deployments: (SQLite, embedded runner, files) and (PostgreSQL, Dramatiq workers
    on Redis, S3 on moto), and the same on RabbitMQ (without Redis: no schedule book)."""
    scaleout = request.param.startswith("scaleout")
    endpoint = request.getfixturevalue("moto_endpoint") if scaleout else None
    async with open_stack(request.param, tmp_path / "home", endpoint) as container:
        yield container


async def wait_run(client: httpx.AsyncClient, run_id: str, timeout: float = 90) -> dict:  # type: ignore[type-arg]
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        run = (await client.get(f"/v1/runs/{run_id}")).json()
        if run["status"] in ("succeeded", "failed", "canceled") or time.monotonic() > deadline:
            return run  # type: ignore[no-any-return]
        await asyncio.sleep(0.2)


async def test_generation_with_prefer_wait_returns_the_finished_run(
    run_client: httpx.AsyncClient,
) -> None:
    r = await run_client.post(
        "/v1/generations",
        json={"model": "fal/flux-dev", "prompt": "a red fox in snow", "seed": 7},
        headers={"Prefer": "wait=60"},
    )
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "succeeded" and run["sandbox"] is True
    assert run["cost_micros"] == 0  # sandbox work is free
    art = run["outputs"][0]
    content = await run_client.get(art["url"])
    assert content.status_code == 200
    assert Image.open(io.BytesIO(content.content)).size[0] > 0
    meta = (await run_client.get(f"/v1/artifacts/{art['artifact_id']}")).json()
    assert meta["sandbox"] is True and meta["provenance"]["model"] == "fal/flux-dev"
    assert meta["provenance"]["prompt"] == "a red fox in snow"


async def test_the_waited_answer_is_the_run_as_stored(
    run_client: httpx.AsyncClient, running: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Prefer: wait the answer is built from the run as it ended (no read back, where
    this process ended it): it must be exactly what reading the run gives."""
    embedded = isinstance(running.runner, EmbeddedRunner)
    read_back = running.runs.get_run

    async def no_read(run_id: str, owner_id: str) -> Any:
        raise AssertionError("the waited answer read the run back")

    for prompt in ("a lantern", "a kite"):
        if embedded:
            monkeypatch.setattr(running.runs, "get_run", no_read)
        r = await run_client.post(
            "/v1/generations",
            json={"model": "fal/flux-dev", "prompt": prompt},
            headers={"Prefer": "wait=60"},
        )
        monkeypatch.setattr(running.runs, "get_run", read_back)
        assert r.status_code == 200, r.text
        stored = await run_client.get(f"/v1/runs/{r.json()['id']}")
        assert stored.status_code == 200
        assert r.json() == stored.json()


async def test_without_wait_the_answer_is_202_and_events_stream(
    run_client: httpx.AsyncClient,
) -> None:
    r = await run_client.post("/v1/generations", json={"model": "fal/flux-dev", "prompt": "owl"})
    assert r.status_code == 202
    run_id = r.json()["id"]
    done = await wait_run(run_client, run_id)
    assert done["status"] == "succeeded"
    events = await run_client.get(f"/v1/runs/{run_id}/events")
    types = [line[7:] for line in events.text.splitlines() if line.startswith("event: ")]
    assert types[0] == "run.created" and types[-1] == "run.succeeded"
    assert "step.submitted" in types and "step.succeeded" in types
    ids = [int(line[4:]) for line in events.text.splitlines() if line.startswith("id: ")]
    resumed = await run_client.get(
        f"/v1/runs/{run_id}/events", headers={"Last-Event-ID": str(ids[1])}
    )
    assert [int(line[4:]) for line in resumed.text.splitlines() if line.startswith("id: ")] == ids[
        2:
    ]


async def test_chain_image_to_video_passes_media(run_client: httpx.AsyncClient) -> None:
    pipeline = {
        "nodes": [
            {"id": "still", "model": "fal/flux-dev", "prompt": "a lighthouse", "seed": 3},
            {"id": "motion", "model": "fal/wan-i2v", "prompt": "waves roll in"},
        ],
        "edges": [{"from": "still", "to": "motion"}],
    }
    r = await run_client.post("/v1/runs", json={"pipeline": pipeline})
    assert r.status_code == 202, r.text
    run = await wait_run(run_client, r.json()["id"])
    assert run["status"] == "succeeded", json.dumps(run, default=str)[:2000]
    video = run["outputs"][0]
    data = (await run_client.get(video["url"])).content
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.video[0].frames > 1 or container.duration
    motion = next(s for s in run["steps"] if s["node_id"] == "motion")
    meta = (await run_client.get(f"/v1/artifacts/{motion['outputs'][0]}")).json()
    still = next(s for s in run["steps"] if s["node_id"] == "still")
    assert meta["provenance"]["parents"] == still["outputs"]


async def test_validation_errors_name_node_and_field(run_client: httpx.AsyncClient) -> None:
    bad = {
        "nodes": [
            {"id": "a", "model": "fal/flux-dev", "prompt": "a fox"},
            {"id": "b", "model": "sync/lipsync-2"},
        ],
        "edges": [{"from": "a", "to": "b"}],
    }
    r = await run_client.post("/v1/runs", json={"pipeline": bad})
    assert r.status_code == 422
    problems = r.json()["error"]["detail"]["problems"]
    assert {p["node"] for p in problems} == {"b"}
    unknown = await run_client.post(
        "/v1/generations", json={"model": "fal/flux-dve", "prompt": "x"}
    )
    assert unknown.status_code in (404, 422)
    assert "fal/flux-dev" in json.dumps(unknown.json())


async def test_upload_then_use_as_input(run_client: httpx.AsyncClient, running: Container) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buf, format="PNG")
    up = await run_client.post("/v1/uploads", files={"file": ("frame.txt", buf.getvalue())})
    assert up.status_code == 201 and up.json()["media_type"] == "image"
    fake = await run_client.post("/v1/uploads", files={"file": ("x.png", b"not an image at all")})
    assert fake.status_code == 415 and fake.json()["error"]["code"] == "UNSUPPORTED_MEDIA"
    r = await run_client.post(
        "/v1/generations",
        json={
            "model": "fal/wan-i2v",
            "prompt": "pan",
            "inputs": [{"artifact_id": up.json()["id"]}],
        },
        headers={"Prefer": "wait=60"},
    )
    assert r.status_code == 200 and r.json()["status"] == "succeeded"
    ranged = await run_client.get(r.json()["outputs"][0]["url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100
