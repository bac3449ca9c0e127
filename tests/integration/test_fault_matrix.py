"""The fault matrix (issue 25): every provider's emulator, each fault it can inject, one
run each. Every run ends, in success where a retry may heal the fault, else in the
documented error code of that fault; a provider out of credit hands over to the step's
fallback. Providers run side by side (each one's faults one after the other: an
emulator's faults are a queue every request draws from)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from reelforge.app import open_container
from reelforge.billing.verify import verify_balances
from reelforge.container import Container
from reelforge.domain.errors import ERROR_INFO, ErrorCode
from reelforge.engine import polling
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.routing import RetryPolicy
from reelforge.storage import identity
from reelforge.storage.run_tables import RunRow, StepRow
from tests.conftest import make_settings
from tests.integration.test_submit_recovery import MODELS

OK = "succeeded"
# fault → (what to inject, the outcomes a run may end in)
FAULTS: dict[str, tuple[dict[str, Any], set[str]]] = {
    "429 + Retry-After": ({"kind": "rate_limit", "on": "submit", "seconds": 0.2}, {OK}),
    "5xx": ({"kind": "server_error", "on": "submit", "status": 503}, {OK, "PROVIDER_ERROR"}),
    "timeout": ({"kind": "timeout", "on": "submit", "seconds": 0.3}, {OK, "PROVIDER_ERROR"}),
    "moderation": ({"kind": "moderation", "on": "submit"}, {"SAFETY_FILTER"}),
    "credit exhausted": (
        {"kind": "insufficient_credit", "on": "submit"},
        {"PROVIDER_OUT_OF_CREDIT"},
    ),
    "malformed body": ({"kind": "malformed", "on": "submit"}, {OK, "PROVIDER_ERROR"}),
    "expired output URL": (
        {"kind": "expired_output", "on": "files", "times": -1},
        {"PROVIDER_TASK_LOST", "FILE_NOT_FOUND", "PROVIDER_ERROR"},
    ),
    "stuck task": ({"kind": "stuck", "on": "submit"}, {"ENGINE_TIMEOUT"}),
}
# A provider whose answer carries the outcome has no task to get stuck, and its outputs
# may come inline (nothing to expire): those faults may then pass unnoticed.
SYNCHRONOUS = {"together", "huggingface", "pollinations", "grok"}
IMAGE_FALLBACK, VIDEO_FALLBACK = "together/flux-1-schnell", "kling/t2v_5s"


@pytest.fixture
async def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Container]:
    monkeypatch.setattr(polling, "STEP_DEADLINE_SECONDS", 3.0)
    settings = make_settings(tmp_path / "home", sandbox_state="memory", resubmit_failed=0)
    async with open_container(settings, start_runner=True) as container:
        container.engine.policy = RetryPolicy(base_delay=0.05, max_delay=0.3, max_attempts=3)
        yield container


def emulator(container: Container, provider: str) -> Any:
    app: Any = container.hub.sandbox_endpoints[provider].client._transport.app  # type: ignore[attr-defined]
    return app.state.emulator


async def run_once(
    container: Container, owner_id: str, model: str, prompt: str, fallbacks: list[str]
) -> StepRow:
    node = {"id": "n", "model": model, "prompt": prompt, "max_micros": 2_000_000}
    if fallbacks:
        node["fallbacks"] = fallbacks
    created = await container.runs.create_run(owner_id, Pipeline.model_validate({"nodes": [node]}))
    deadline = time.monotonic() + 40
    while True:
        async with container.db.session() as s:
            run = (await s.execute(select(RunRow).where(RunRow.id == created.run_id))).scalar_one()
            if run.status in ("succeeded", "failed", "canceled"):
                step = (
                    await s.execute(select(StepRow).where(StepRow.run_id == run.id))
                ).scalar_one()
                s.expunge(step)
                return step
        assert time.monotonic() < deadline, (model, prompt)
        await asyncio.sleep(0.1)


def fallback_for(model: str) -> str:
    video = model.split("/")[0] in ("kling", "minimax", "luma", "runway")
    chosen = VIDEO_FALLBACK if video else IMAGE_FALLBACK
    if model.split("/")[0] == chosen.split("/")[0]:
        return "minimax/hailuo_6s" if video else "fal/flux-dev"
    return chosen


async def provider_lane(
    container: Container, owner_id: str, provider: str
) -> list[tuple[str, str, str, str]]:
    """(provider, fault, outcome, served_by) for each fault, then the fallback run."""
    model, _how = MODELS[provider]
    state = emulator(container, provider)
    rows = []
    for name, (fault, _allowed) in FAULTS.items():
        state.faults.clear()
        state.faults.add(**fault)
        step = await run_once(container, owner_id, model, f"{name} at {provider}", [])
        state.faults.clear()
        outcome = OK if step.status == OK else str((step.error or {}).get("code"))
        rows.append((provider, name, outcome, str(step.served_by)))
    state.faults.add("insufficient_credit", on="submit", times=-1)
    step = await run_once(
        container, owner_id, model, f"fallback from {provider}", [fallback_for(model)]
    )
    state.faults.clear()
    rows.append((provider, "credit exhausted, with a fallback", step.status, str(step.served_by)))
    return rows


async def test_every_fault_at_every_provider_ends_in_its_documented_code(
    box: Container,
) -> None:
    async with box.db.session() as s:
        owner = await identity.find_owner(s)
    assert owner is not None
    lanes = await asyncio.gather(*(provider_lane(box, owner.id, p) for p in sorted(MODELS)))
    rows = [row for lane in lanes for row in lane]
    wrong = []
    for provider, fault, outcome, served_by in rows:
        if fault.endswith("with a fallback"):
            if outcome != OK or served_by.split("/")[0] == provider:
                wrong.append((provider, fault, outcome, served_by))
            continue
        allowed = set(FAULTS[fault][1])
        if provider in SYNCHRONOUS and fault in ("stuck task", "expired output URL"):
            allowed.add(OK)
        if outcome not in allowed:
            wrong.append((provider, fault, outcome, served_by))
        if outcome != OK:
            assert ErrorCode(outcome) in ERROR_INFO  # documented: message and remediation
    print(f"fault matrix: {len(rows)} runs over {len(MODELS)} providers, {len(wrong)} off")
    assert not wrong, wrong
    async with box.db.session() as s:
        assert (await verify_balances(s)).ok
