"""The fault matrix (issue 25): every provider's emulator, each fault it can inject, one
run each. Every run ends, in success where a retry may heal the fault, else in the
documented error code of that fault; a provider out of credit hands over to the step's
fallback. Providers run side by side (each one's faults one after the other: an
emulator's faults are a queue every request draws from)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy import select

from reelforge.app import open_container
from reelforge.billing.verify import verify_balances
from reelforge.container import Container
from reelforge.domain.errors import ERROR_INFO, ErrorCode
from reelforge.emulators.base import EmulatorConfig
from reelforge.engine import polling
from reelforge.engine.pipeline import Pipeline
from reelforge.storage import identity
from reelforge.storage.run_tables import RunRow, StepRow
from tests.chaos import emulators, live_settings
from tests.integration.test_submit_recovery import MODELS as RECOVERY_MODELS

OK = "succeeded"
# provider → the model its runs use. Every provider but sync (lip-sync: a run needs a video
# and an audio input; its faults are covered by tests/contract/test_sync.py).
MODELS = {p: model for p, (model, _how) in RECOVERY_MODELS.items()}
MODELS["atlas"] = "atlas/bytedance/seedream-v4"
TIMEOUT = 1.0  # the provider client's read timeout in this test; faults hang longer
# fault → (what to inject, the outcomes a run may end in)
FAULTS: dict[str, tuple[dict[str, Any], set[str]]] = {
    # status 429: MiniMax's HTTP 429 form (with Retry-After), not its HTTP 200 + 1002 one.
    "429 + Retry-After": (
        {"kind": "rate_limit", "on": "submit", "seconds": 0.2, "status": 429},
        {OK},
    ),
    # seconds: the wait a provider suggests with its 503, where it gives one (Hugging Face's
    # estimated_time for a loading model).
    "5xx": (
        {"kind": "server_error", "on": "submit", "status": 503, "seconds": 0.5},
        {OK, "PROVIDER_ERROR"},
    ),
    "timeout": (
        {"kind": "timeout", "on": "submit", "seconds": 2 * TIMEOUT},
        {OK, "PROVIDER_ERROR"},
    ),
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
    # A synchronous provider's stuck task is an answer that never comes (the client times
    # out); a task-based one's a task that never ends (the step's deadline passes).
    "stuck task": ({"kind": "stuck", "on": "submit", "seconds": 2 * TIMEOUT}, {"ENGINE_TIMEOUT"}),
}
# A provider whose answer carries the outcome has no task to get stuck, and its outputs
# may come inline (nothing to expire): those faults may then pass unnoticed.
SYNCHRONOUS = {"together", "huggingface", "pollinations", "grok"}
LOCAL_ENGINES = {"comfyui"}
IMAGE_FALLBACK, VIDEO_FALLBACK = "together/flux-1-schnell", "kling/t2v_5s"


@pytest.fixture
def served() -> Iterator[dict[str, tuple[str, Any]]]:
    """Every provider's emulator on a 127.0.0.1 socket (not in-process): a timeout is
    then the HTTP client's own, as against the real API."""
    config = EmulatorConfig(
        queue_seconds=0.1, run_seconds=0.4, image_run_seconds=0.1, max_hold_seconds=TIMEOUT / 2
    )
    with emulators(sorted(MODELS), config) as found:
        yield found


@pytest.fixture
async def box(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: dict[str, tuple[str, Any]]
) -> AsyncIterator[Container]:
    # Short timings, set as a deployment would set them: the faults are the same, the
    # waits they cause are bounded (a 60 s cooldown would outlast the test).
    monkeypatch.setattr(polling, "STEP_DEADLINE_SECONDS", 3.0)
    settings = live_settings(
        tmp_path / "home",
        served,
        monkeypatch,
        resubmit_failed=0,
        provider_timeout_seconds=TIMEOUT,
        provider_cooldown_seconds=0.5,
        retry_base_delay_seconds=0.05,
        retry_max_delay_seconds=0.3,
    )
    async with open_container(settings, start_runner=True) as container:
        assert container.engine.health.base_cooldown == 0.5  # the settings reach the engine
        assert container.engine.policy.base_delay == 0.05
        yield container


def emulator(served: dict[str, tuple[str, Any]], provider: str) -> Any:
    return served[provider][1]


class Row(NamedTuple):
    provider: str
    fault: str
    outcome: str  # "succeeded" or the step's error code
    served_by: str
    seconds: float
    waited: float | None = None  # after a 429: until the next submission


FALLBACK = "credit exhausted, with a fallback"


async def run_once(
    container: Container, owner_id: str, model: str, prompt: str, fallbacks: list[str]
) -> tuple[StepRow, float]:
    node = {"id": "n", "model": model, "prompt": prompt, "max_micros": 2_000_000}
    if fallbacks:
        node["fallbacks"] = fallbacks
    started = time.monotonic()
    created = await container.runs.create_run(owner_id, Pipeline.model_validate({"nodes": [node]}))
    await container.runner.enqueue_created(created)  # as POST /v1/runs does
    deadline = started + 40
    while True:
        async with container.db.session() as s:
            run = (await s.execute(select(RunRow).where(RunRow.id == created.run_id))).scalar_one()
            if run.status in ("succeeded", "failed", "canceled"):
                step = (
                    await s.execute(select(StepRow).where(StepRow.run_id == run.id))
                ).scalar_one()
                s.expunge(step)
                return step, time.monotonic() - started
        assert time.monotonic() < deadline, (model, prompt)
        await asyncio.sleep(0.1)


def row(provider: str, fault: str, step: StepRow, seconds: float) -> Row:
    outcome = OK if step.status == OK else str((step.error or {}).get("code"))
    return Row(provider, fault, outcome, str(step.served_by), seconds, waited_after_429(step))


def waited_after_429(step: StepRow) -> float | None:
    """Seconds from a RATE_LIMITED answer to the next submission (the step's route notes)."""
    history = (step.route or {}).get("history", [])
    for i, note in enumerate(history):
        if note.get("event") == "failed" and note.get("code") == "RATE_LIMITED":
            later = [n["at"] for n in history[i + 1 :] if n.get("event") == "submitted"]
            return later[0] - note["at"] if later else None
    return None


def fallback_for(model: str) -> str:
    video = model.split("/")[0] in ("kling", "minimax", "luma", "runway")
    chosen = VIDEO_FALLBACK if video else IMAGE_FALLBACK
    if model.split("/")[0] == chosen.split("/")[0]:
        return "minimax/hailuo_6s" if video else "fal/flux-dev"
    return chosen


async def provider_lane(
    container: Container, served: dict[str, tuple[str, Any]], owner_id: str, provider: str
) -> list[Row]:
    """One run per fault at ``provider``, one after the other (its faults are one queue)."""
    model = MODELS[provider]
    state = emulator(served, provider)
    rows = []
    for name, (fault, _allowed) in FAULTS.items():
        state.faults.clear()
        state.faults.add(**fault)
        step, seconds = await run_once(container, owner_id, model, f"{name} at {provider}", [])
        state.faults.clear()
        rows.append(row(provider, name, step, seconds))
    return rows


async def fallback_runs(
    container: Container, served: dict[str, tuple[str, Any]], owner_id: str
) -> list[Row]:
    """Each provider out of credit for good, with a fallback that is not: first every
    provider but the two fallbacks the others use, then those two (each to a third)."""
    targets = {IMAGE_FALLBACK.split("/")[0], VIDEO_FALLBACK.split("/")[0]}

    async def one(provider: str) -> Row:
        model = MODELS[provider]
        step, seconds = await run_once(
            container, owner_id, model, f"fallback from {provider}", [fallback_for(model)]
        )
        return row(provider, FALLBACK, step, seconds)

    rows: list[Row] = []
    for group in (sorted(set(MODELS) - targets), sorted(targets)):
        for provider in group:
            emulator(served, provider).faults.add("insufficient_credit", on="submit", times=-1)
        rows += await asyncio.gather(*(one(p) for p in group))
        for provider in group:
            emulator(served, provider).faults.clear()
    return rows


@pytest.mark.slow
async def test_every_fault_at_every_provider_ends_in_its_documented_code(
    box: Container, served: dict[str, tuple[str, Any]]
) -> None:
    async with box.db.session() as s:
        owner = await identity.find_owner(s)
    assert owner is not None
    lanes = await asyncio.gather(*(provider_lane(box, served, owner.id, p) for p in sorted(MODELS)))
    rows = [r for lane in lanes for r in lane] + await fallback_runs(box, served, owner.id)
    wrong = []
    for r in rows:
        if r.fault == FALLBACK:
            if r.outcome != OK or r.served_by.split("/")[0] == r.provider:
                wrong.append(r)
            continue
        allowed = set(FAULTS[r.fault][1])
        if r.provider in SYNCHRONOUS and r.fault in ("stuck task", "expired output URL"):
            allowed.add(OK)
        if r.provider in LOCAL_ENGINES and r.fault == "moderation":
            allowed = {"PROVIDER_ERROR"}  # no safety filter of its own: a node's error
        if r.outcome not in allowed:
            wrong.append(r)
        # Retry-After: 1 (the emulators round up to whole seconds) is honoured.
        if r.fault == "429 + Retry-After" and (r.waited is None or r.waited < 1.0):
            wrong.append(r)
        if r.outcome != OK:
            assert ErrorCode(r.outcome) in ERROR_INFO  # documented: message and remediation
    print(table(rows))
    slowest = max(rows, key=lambda r: r.seconds)
    print(
        f"fault matrix: {len(rows)} runs over {len(MODELS)} providers, {len(wrong)} off; "
        f"slowest run {slowest.seconds:.1f} s ({slowest.provider}, {slowest.fault})"
    )
    assert not wrong, wrong
    async with box.db.session() as s:
        assert (await verify_balances(s)).ok


def table(rows: list[Row]) -> str:
    """provider × fault → the code each run ended in (ok: succeeded; a fallback's column
    names who served)."""
    faults = list(dict.fromkeys(r.fault for r in rows))
    short = {f: f.replace(FALLBACK, "fallback") for f in faults}
    cells: dict[tuple[str, str], str] = {}
    for provider, fault, outcome, served_by, _seconds, _waited in rows:
        cell = "ok" if outcome == OK else outcome
        if fault.endswith("with a fallback"):
            cell = f"{cell} by {served_by.split('/')[0]}"
        cells[(provider, fault)] = cell
    providers = sorted({r.provider for r in rows})
    width = {f: max(len(short[f]), *(len(cells[(p, f)]) for p in providers)) for f in faults}
    lines = [" | ".join(["provider".ljust(12), *(short[f].ljust(width[f]) for f in faults)])]
    for p in providers:
        lines.append(" | ".join([p.ljust(12), *(cells[(p, f)].ljust(width[f]) for f in faults)]))
    return "\n".join(lines)
