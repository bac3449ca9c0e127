"""Routing end to end: fal and Together emulators on 127.0.0.1 with faults injected, runs
through the API. The fal model is the node's own; Together's free FLUX is its fallback."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.emulators import fal
from reelforge.emulators.base import EmulatorConfig
from reelforge.engine.routing import RetryPolicy
from reelforge.providers.limits import LimitBoard, RateLimits
from tests.conftest import make_settings
from tests.helpers import serve_asgi
from tests.integration.routing_world import (
    FAL_MODEL,
    FALLBACK,
    Recorder,
    World,
    member_client,
    wait_as,
)


def step_of(run: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = run["steps"][0]
    return step


async def test_primary_503_falls_back_and_the_run_says_so(world: World) -> None:
    await world.fault(world.fal_url, kind="server_error", on="submit", status=503, times=-1)
    run = await world.generate(params={"image_size": "landscape_16_9"})
    assert run["status"] == "succeeded", run
    step = step_of(run)
    assert step["model"] == FAL_MODEL and step["served_by"] == FALLBACK
    route = step["route"]
    assert route["fell_back"] is True and "503" not in route["reason"]
    assert "PROVIDER_ERROR" in route["reason"] and "3 attempt" in route["reason"]
    failed = [a for a in route["attempts"] if a["event"] == "failed"]
    assert [a["attempt"] for a in failed] == [1, 2, 3] and {a["model"] for a in failed} == {
        FAL_MODEL
    }
    assert len(world.fal.submits()) == 3  # retried, then moved on
    # The fallback received the node's settings in its own words: 16:9 as width/height.
    task = next(iter(world.together.state.tasks.tasks.values()))
    assert task.params["width"] / task.params["height"] == pytest.approx(16 / 9, rel=0.1)
    types = await world.events(run["id"])
    assert types.count("step.retry") == 2 and types.count("step.fallback") == 1
    assert types.count("step.submitting") == 4
    meta = (await world.client.get(f"/v1/artifacts/{step['outputs'][0]}")).json()
    assert meta["provenance"]["model"] == FALLBACK
    assert meta["provenance"]["fallback_from"] == FAL_MODEL


async def test_retry_after_is_honoured_never_earlier(world: World) -> None:
    await world.fault(world.fal_url, kind="rate_limit", on="submit", seconds=2, times=1)
    run = await world.generate()
    assert run["status"] == "succeeded", run
    assert step_of(run)["served_by"] == FAL_MODEL  # a 2 s wait is short: no fallback
    first, second = world.fal.submits()[:2]
    assert second - first >= 2.0, second - first
    retry = next(a for a in step_of(run)["route"]["attempts"] if a["event"] == "failed")
    assert retry["code"] == "RATE_LIMITED" and retry["decision"] == "retry"
    assert world.together.submits() == []


async def test_safety_refusal_never_falls_back(world: World) -> None:
    await world.fault(world.fal_url, kind="moderation", on="submit", times=1)
    run = await world.generate()
    assert run["status"] == "failed"
    step = step_of(run)
    assert step["error"]["code"] == "SAFETY_FILTER"
    assert step["served_by"] == FAL_MODEL and step["route"]["fell_back"] is False
    assert world.together.submits() == []  # the fallback was never asked
    assert len(world.fal.submits()) == 1  # nor was the refusal retried
    assert "step.fallback" not in await world.events(run["id"])


async def test_provider_failing_five_times_is_cooled_down_and_skipped(world: World) -> None:
    world.container.engine.policy = RetryPolicy(base_delay=0.05, max_delay=0.2, max_attempts=5)
    await world.fault(world.fal_url, kind="server_error", on="submit", status=503, times=5)
    first = await world.generate()
    assert step_of(first)["served_by"] == FALLBACK
    assert len(world.fal.submits()) == 5
    listing = (await world.client.get("/v1/providers")).json()["providers"]
    fal_health = next(p for p in listing if p["name"] == "fal")["health"]
    assert fal_health["status"] == "cooling_down", fal_health
    assert fal_health["cooldown_until"] > time.time()
    assert fal_health["last_error"]["code"] == "PROVIDER_ERROR"
    assert fal_health["consecutive_failures"] == 5 and fal_health["recent_errors"] == 5
    together_health = next(p for p in listing if p["name"] == "together")["health"]
    assert together_health["status"] == "ok" and together_health["p50_latency_ms"] > 0

    second = await world.generate()  # the fault is used up, yet fal is cooling down
    assert second["status"] == "succeeded"
    step = step_of(second)
    assert step["served_by"] == FALLBACK
    assert len(world.fal.submits()) == 5  # skipped: not even asked
    skipped = step["route"]["attempts"][0]
    assert skipped["event"] == "skipped" and "cooling down" in skipped["reason"]


async def test_negative_prompt_is_folded_for_a_model_without_native_support(
    world: World,
) -> None:
    run = await world.generate(negative_prompt="blurry, text", fallbacks=[])
    assert run["status"] == "succeeded", run
    task = next(iter(world.fal.state.tasks.tasks.values()))
    assert task.prompt == "a lighthouse at dusk\n\nAvoid: blurry, text"
    assert "negative_prompt" not in task.params
    submitted = next(a for a in step_of(run)["route"]["attempts"] if a["event"] == "submitted")
    assert any("folded" in note for note in submitted["notes"])


async def test_native_negative_prompt_reaches_the_fallback_as_is(world: World) -> None:
    await world.fault(world.fal_url, kind="insufficient_credit", on="submit", times=1)
    run = await world.generate(negative_prompt="blurry")
    assert run["status"] == "succeeded", run
    step = step_of(run)
    assert step["served_by"] == FALLBACK
    assert "PROVIDER_OUT_OF_CREDIT" in step["route"]["reason"]  # out of credit: at once
    assert len(world.fal.submits()) == 1
    task = next(iter(world.together.state.tasks.tasks.values()))
    assert task.params["negative_prompt"] == "blurry" and task.prompt == "a lighthouse at dusk"


async def test_a_failed_task_is_resubmitted_as_a_new_task(world: World) -> None:
    await world.fault(world.fal_url, kind="fail", on="submit", times=1)
    run = await world.generate()
    assert run["status"] == "succeeded", run
    step = step_of(run)
    assert step["served_by"] == FAL_MODEL and step["attempts"] == 2
    tasks = list(world.fal.state.tasks.tasks.values())
    assert len(tasks) == 2 and tasks[0].failure is not None and tasks[1].failure is None
    failed = next(a for a in step["route"]["attempts"] if a["event"] == "failed")
    assert failed["code"] == "PROVIDER_ERROR" and failed["decision"] == "retry"
    assert "step.resubmit" in await world.events(run["id"])


async def test_concurrency_limit_keeps_calls_to_one_at_a_time(world: World) -> None:
    world.container.engine.limits = LimitBoard({"fal": RateLimits(concurrency=1)})
    await world.fault(world.fal_url, kind="latency", on="any", seconds=0.3, times=-1)
    created = [
        (await world.client.post("/v1/generations", json={"model": FAL_MODEL, "prompt": f"p{i}"}))
        for i in range(3)
    ]
    runs = [await world.wait(r.json()["id"]) for r in created]
    assert all(run["status"] == "succeeded" for run in runs), runs
    assert len(world.fal.submits()) == 3
    assert world.fal.max_in_flight == 1  # never two requests at fal at once
    listing = (await world.client.get("/v1/providers")).json()["providers"]
    limits = next(p for p in listing if p["name"] == "fal")["limits"]
    assert limits["concurrency"] == 1 and limits["deferred"] > 0


async def test_unconnected_primary_is_skipped_not_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sandbox off, no Replicate key: the run is accepted because its fallback (fal) is
    connected, and the step records why it did not use its own model."""
    config = EmulatorConfig(run_seconds=0.2, image_run_seconds=0.1, queue_seconds=0.05)
    fal_app = Recorder(fal.create_app(config))
    with serve_asgi(fal_app) as fal_url:
        monkeypatch.setenv("FAL_KEY", fal.SANDBOX_CREDENTIAL["api_key"])
        monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
        settings = make_settings(
            tmp_path / "home",
            sandbox=False,
            provider_base_urls={"fal": fal_url},
            fetch_allow_hosts=[fal_url.removeprefix("http://")],
        )
        async with open_container(settings, start_runner=True) as container:
            key = settings.owner_key_path.read_text().strip()
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api_app(container)),
                base_url="http://testserver",
                headers={"Authorization": f"Bearer {key}"},
            ) as client:
                world = World(client, container, fal_app, fal_url, fal_app, fal_url)
                run = await world.generate(model="replicate/flux-dev", fallbacks=[FAL_MODEL])
                alone = await client.post(
                    "/v1/generations", json={"model": "replicate/flux-dev", "prompt": "x"}
                )
    assert run["status"] == "succeeded", run
    step = step_of(run)
    assert step["served_by"] == FAL_MODEL
    assert "ENGINE_OFFLINE" in step["route"]["reason"]
    assert alone.status_code == 503 and alone.json()["error"]["code"] == "ENGINE_OFFLINE"


async def test_a_paid_run_releases_what_it_did_not_spend_and_a_free_run_has_nothing_to_release(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing = world.container.engine.billing
    released_for: list[str] = []
    real_release = billing.release

    async def spy(session: Any, *, owner_id: str, run_id: str) -> int:
        released_for.append(run_id)
        return await real_release(session, owner_id=owner_id, run_id=run_id)

    monkeypatch.setattr(billing, "release", spy)
    # A member: the environment keys are lent to members, so their run is held.
    async with await member_client(world) as member:
        body = {"model": FAL_MODEL, "prompt": "a lighthouse at dusk", "fallbacks": [FALLBACK]}
        queued = await member.post("/v1/generations", json=body)
        assert queued.status_code == 202, queued.text
        paid = await wait_as(member, queued.json()["id"])
        assert paid["status"] == "succeeded", paid
        assert paid["hold_micros"] > 0 and paid["hold_micros"] >= paid["cost_micros"] > 0
        text = (await member.get(f"/v1/runs/{paid['id']}/events")).text
        ended = json.loads(text.split("event: run.succeeded\ndata: ", 1)[1].split("\n", 1)[0])
        assert ended["released_micros"] == paid["hold_micros"] - paid["cost_micros"]
        credits = (await member.get("/v1/credits")).json()
        assert credits["held"]["micros"] == 0
        assert released_for == [paid["id"]]

    free = await world.generate(model=FALLBACK, fallbacks=[])  # Together's free FLUX
    assert free["status"] == "succeeded" and free["hold_micros"] == 0, free
    assert released_for == [paid["id"]]  # nothing held, so nothing to release


@pytest.mark.parametrize("provider", ["fal", "together"])
async def test_an_output_download_that_fails_once_is_fetched_again(
    world: World, provider: str
) -> None:
    """The task is done and paid for: a 503 on its output file must not fail the step."""
    url = world.fal_url if provider == "fal" else world.together_url
    await world.fault(url, kind="server_error", on="files", status=503, times=1)
    model = FAL_MODEL if provider == "fal" else FALLBACK
    run = await world.generate(model=model, fallbacks=[])
    assert run["status"] == "succeeded", run
    assert len(step_of(run)["outputs"]) == 1
    types = await world.events(run["id"])
    assert types.count("step.poll_error") == 1 and "step.failed" not in types
    submits = world.fal.submits() if provider == "fal" else world.together.submits()
    assert len(submits) == 1  # fetched again, never submitted (paid) again


async def test_a_task_past_the_step_deadline_falls_back_and_is_not_polled_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fal's task never finishes: past the deadline the step moves to its fallback, and
    the old task is not polled any more (a stale watch kept polling it and the step never
    reached its fallback)."""
    from reelforge.engine import polling

    monkeypatch.setattr(polling, "STEP_DEADLINE_SECONDS", 3.0)  # after a quiet poll or two
    await world.fault(world.fal_url, kind="stuck", on="submit", times=1)
    run = await world.generate()
    assert run["status"] == "succeeded", run
    assert step_of(run)["served_by"] == FALLBACK

    canceled = [t for t, method, path in world.fal.calls if method == "PUT"]
    assert len(canceled) == 1  # the old task is stopped, not left running
    await asyncio.sleep(1.0)
    after = [t for t, m, path in world.fal.calls if m == "GET" and t > canceled[0]]
    assert after == []  # and never polled again
