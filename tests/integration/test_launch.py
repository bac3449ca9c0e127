"""A generation the caller waits for (``Prefer: wait``) is leased in the transaction that
stores its run (engine/launch.py): one commit fewer before the provider is called, the
same events, the same limits, and nothing submitted when the run is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers.limits import LimitBoard, RateLimits
from tests.integration.routing_world import FAL_MODEL, World

WAIT = {"Prefer": "wait=30"}


async def waited(world: World, **body: Any) -> dict[str, Any]:
    doc = {"model": FAL_MODEL, "prompt": "a lighthouse at dusk", **body}
    r = await world.client.post("/v1/generations", json=doc, headers=WAIT)
    assert r.status_code == 200, r.text
    run: dict[str, Any] = r.json()
    return run


async def test_a_waited_generation_is_leased_with_its_run(world: World) -> None:
    engine, intake = world.container.engine, world.container.runs.intake
    writes_before, intakes_before = engine.writes.batches, intake.batches
    run = await waited(world)
    assert run["status"] == "succeeded", run
    # The run (with the lease) in one commit, then the task and the result: two more.
    assert intake.batches - intakes_before == 1
    assert engine.writes.batches - writes_before == 2
    assert await world.events(run["id"]) == [
        "run.created",
        "step.submitting",
        "step.submitted",
        "step.succeeded",
        "run.succeeded",
    ]
    assert run["steps"][0]["attempts"] == 1 and len(world.fal.submits()) == 1

    # Not waited for: stored held, then leased on its own (three commits after the run's).
    writes_before = engine.writes.batches
    r = await world.client.post("/v1/generations", json={"model": FAL_MODEL, "prompt": "owl"})
    assert r.status_code == 202
    assert (await world.wait(r.json()["id"]))["status"] == "succeeded"
    assert engine.writes.batches - writes_before == 3


async def test_a_run_refused_when_stored_submits_nothing_and_frees_its_permit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.container.engine.limits = LimitBoard({"fal": RateLimits(concurrency=1)})

    async def refuse(_new: Any) -> None:
        raise ReelForgeError(ErrorCode.INSUFFICIENT_FUNDS, "no credit left")

    monkeypatch.setattr(world.container.runs.intake, "store", refuse)
    r = await world.client.post(
        "/v1/generations", json={"model": FAL_MODEL, "prompt": "x"}, headers=WAIT
    )
    assert r.status_code == 402 and r.json()["error"]["code"] == "INSUFFICIENT_FUNDS"
    assert world.fal.submits() == []
    listing = (await world.client.get("/v1/providers")).json()["providers"]
    limits = next(p for p in listing if p["name"] == "fal")["limits"]
    assert limits["in_flight"] == 0  # the launch's permit went back
    monkeypatch.undo()
    assert (await waited(world))["status"] == "succeeded"  # and the next one gets it


async def test_a_launch_over_the_providers_limit_waits_held(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrency 1 and a slow fal: the second waited generation cannot have a permit
    when its run is stored, so it is stored held (its wait saved) and submitted later."""
    engine = world.container.engine
    engine.limits = LimitBoard({"fal": RateLimits(concurrency=1)})
    await world.fault(world.fal_url, kind="latency", on="any", seconds=0.3, times=-1)
    prepared: list[str] = []
    launch_new = engine.launch_new

    async def noted(step: Any, run: Any) -> Any:
        result = await launch_new(step, run)
        prepared.append(type(result).__name__)
        return result

    monkeypatch.setattr(engine, "launch_new", noted)
    first, second = await asyncio.gather(
        waited(world, prompt="first"), waited(world, prompt="second")
    )
    assert prepared == ["Launch", "Wait"]
    assert first["status"] == second["status"] == "succeeded"
    assert world.fal.max_in_flight == 1 and len(world.fal.submits()) == 2
    for run in (first, second):
        assert (await world.events(run["id"]))[-1] == "run.succeeded"
        assert run["steps"][0]["attempts"] == 1
