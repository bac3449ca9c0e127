"""Tasks the provider failed or lost: resubmitted only for a passing reason, counted and
told as events, never charged; a lost task is not the user's NOT_FOUND."""

from __future__ import annotations

from typing import Any

from tests.integration.routing_world import FAL_MODEL, FALLBACK, World


def step_of(run: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = run["steps"][0]
    return step


async def test_a_failure_with_no_passing_reason_is_not_resubmitted(world: World) -> None:
    """Kling and Higgsfield used to get three tasks for one failure: now one, then the
    fallback, with the provider's reason kept."""
    await world.fault(world.fal_url, kind="fail", on="submit", message="unsupported LoRA file")
    run = await world.generate()
    assert run["status"] == "succeeded", run
    step = step_of(run)
    assert step["served_by"] == FALLBACK
    assert len(world.fal.submits()) == 1  # one fal task, not three
    failed = next(a for a in step["route"]["attempts"] if a["event"] == "failed")
    assert "unsupported LoRA file" in failed["message"]
    assert failed["decision"] == "fallback" and "not resubmitted" in failed["reason"]


async def test_a_transient_failure_is_resubmitted_as_many_times_as_configured(
    world: World,
) -> None:
    await world.fault(
        world.fal_url, kind="fail", on="submit", message="GPU worker timed out", times=-1
    )
    run = await world.generate()
    assert run["status"] == "succeeded", run
    step = step_of(run)
    assert step["served_by"] == FALLBACK
    assert len(world.fal.submits()) == 2  # the task and one resubmission (the default)
    events = await world.events(run["id"])
    assert events.count("step.resubmit") == 1 and "step.fallback" in events


async def test_no_failure_is_resubmitted_when_resubmissions_are_off(world: World) -> None:
    engine = world.container.engine
    engine.policy = type(engine.policy)(base_delay=0.05, max_delay=0.2, resubmits=0)
    await world.fault(world.fal_url, kind="fail", on="submit", message="GPU worker timed out")
    run = await world.generate(fallbacks=[])
    assert run["status"] == "failed", run
    assert len(world.fal.submits()) == 1
    assert run["error"]["code"] == "PROVIDER_ERROR"
    assert "GPU worker timed out" in run["error"]["message"]


async def test_a_task_the_provider_lost_is_its_own_code_and_uncharged(world: World) -> None:
    """The provider answers 404 for our own task: PROVIDER_TASK_LOST (not NOT_FOUND and
    its "may belong to another owner"), resubmitted once, and only the task that was
    delivered is paid for."""
    await world.fault(world.fal_url, kind="server_error", on="poll", status=404, times=1)
    run = await world.generate(fallbacks=[])
    assert run["status"] == "succeeded", run
    step = step_of(run)
    assert step["served_by"] == FAL_MODEL and step["attempts"] == 2
    lost = next(a for a in step["route"]["attempts"] if a["event"] == "failed")
    assert lost["code"] == "PROVIDER_TASK_LOST" and lost["decision"] == "retry"
    assert run["cost_micros"] == step["quote_micros"]  # one task paid, not two


async def test_a_lost_task_fails_with_its_remediation_when_it_stays_lost(world: World) -> None:
    await world.fault(world.fal_url, kind="server_error", on="poll", status=404, times=-1)
    run = await world.generate(fallbacks=[])
    assert run["status"] == "failed", run
    error = run["error"]
    assert error["code"] == "PROVIDER_TASK_LOST", error
    assert "not charged" in " ".join(error["remediation"])
    assert "another owner" not in " ".join(error["remediation"])
    assert run["cost_micros"] == 0
