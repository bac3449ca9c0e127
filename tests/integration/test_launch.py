"""A generation the caller waits for (``Prefer: wait``) is leased in the transaction that
stores its run (engine/launch.py): one commit fewer before the provider is called, the
same events, the same limits, and nothing submitted when the run is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine import launch as launch_mod
from reelforge.engine import repo
from reelforge.engine.pipeline import Node, Pipeline
from reelforge.providers.limits import LimitBoard, RateLimits
from reelforge.storage import identity
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
    # The run (with the lease) in one commit, then the task and the result: two group
    # commits more. (The send mark, fal cannot take a request twice, is a transaction of
    # its own, written as the request leaves: storage.send_gate.)
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

    # Not waited for: stored held, then leased on its own (three group commits after the
    # run's, and the send mark).
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


async def test_a_launch_not_submitted_when_the_runner_stops_goes_back_to_held(
    container: Container,
) -> None:
    """Stored leased, never submitted (the runner stopped first): the step goes back to
    held as it was (permit released, attempts as before, an event saying why), and the
    next runner starts it as usual."""
    async with container.db.session() as s:
        owner = await identity.find_owner(s)
    assert owner is not None
    doc = Pipeline(nodes=[Node(id="img", model=FAL_MODEL, prompt="a quiet harbour")])
    created = await container.runs.create_run(owner.id, doc, launch=True)
    (step_id,) = created.ready
    assert step_id in created.launches
    key = created.launches[step_id].key
    await container.runner.enqueue_created(created)  # handed over; no worker is running
    assert container.engine.limits.snapshot(key)["in_flight"] == 1
    async with container.db.read() as sql:
        leased = await repo.get_step(sql, step_id)
    assert leased is not None and (leased.status, leased.attempts) == ("submitting", 1)

    await container.runner.stop()
    async with container.db.read() as sql:
        back = await repo.get_step(sql, step_id)
        events = [e.type for e in await container.engine.events.since(sql, created.run_id, 0)]
    assert back is not None and (back.status, back.attempts) == ("held", 0)
    assert back.version == leased.version + 1
    assert events == ["run.created", "step.submitting", "step.retry"]
    assert container.engine.limits.snapshot(key)["in_flight"] == 0

    await container.runner.start()  # a later runner (a restart) starts it as usual
    assert await container.runner.wait_run(created.run_id, 30)
    async with container.db.read() as sql:
        done = await repo.get_step(sql, step_id)
    assert done is not None and (done.status, done.attempts) == ("succeeded", 1)


async def test_a_caller_gone_while_its_run_is_stored_leaves_a_step_that_still_runs(
    container: Container,
) -> None:
    """The request is cancelled while its run's batch is being written: the batch goes on
    and stores the run with its step leased, and nobody will hand the launch over. The
    step goes back to held (not waiting out its lease to be failed as an interrupted
    submission, though nothing was sent) and the runner starts it as usual."""
    async with container.db.session() as s:
        owner = await identity.find_owner(s)
    assert owner is not None
    intake = container.runs.intake
    original = intake._write
    stored: list[str] = []

    async def slow_write(batch: Any) -> None:  # a commit that takes a moment
        await asyncio.sleep(0.2)
        await original(batch)
        stored.extend(n.run["id"] for n in batch)

    intake._write = slow_write  # type: ignore[method-assign]
    doc = Pipeline(nodes=[Node(id="img", model=FAL_MODEL, prompt="a quiet harbour")])
    task = asyncio.create_task(container.runs.create_run(owner.id, doc, launch=True))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        await asyncio.sleep(0.02)
        async with container.db.read() as sql:
            steps = await repo.run_steps(sql, stored[0]) if stored else []
        if steps and steps[0].status == "held":
            break
    intake._write = original  # type: ignore[method-assign]
    (step,) = steps
    assert (step.status, step.attempts) == ("held", 0)
    await container.runner.start()
    assert await container.runner.wait_run(stored[0], 30)
    async with container.db.read() as sql:
        (done,) = await repo.run_steps(sql, stored[0])
    assert done.status == "succeeded"


async def test_a_launch_left_waiting_too_long_goes_back_to_held_and_runs(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy process that reaches a launch long after its lease was taken does not trust
    the lease: the step goes back to held and starts the usual way."""
    monkeypatch.setattr(launch_mod, "STALE_LAUNCH_SECONDS", 0.0)
    async with container.db.session() as s:
        owner = await identity.find_owner(s)
    assert owner is not None
    doc = Pipeline(nodes=[Node(id="img", model=FAL_MODEL, prompt="a late start")])
    created = await container.runs.create_run(owner.id, doc, launch=True)
    await container.runner.start()
    await container.runner.enqueue_created(created)
    assert await container.runner.wait_run(created.run_id, 30)
    async with container.db.read() as sql:
        (step,) = await repo.run_steps(sql, created.run_id)
        events = [e.type for e in await container.engine.events.since(sql, created.run_id, 0)]
    assert (step.status, step.attempts) == ("succeeded", 1)
    assert events[:4] == ["run.created", "step.submitting", "step.retry", "step.submitting"]
