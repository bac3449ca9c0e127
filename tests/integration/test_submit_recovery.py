"""A crash between a step's lease and the provider's answer (issue 25, defect 1), for every
provider: a step leased and never sent starts again; one whose request was in flight is
sent again (idempotent providers), found at the provider (reconcilable ones) or failed
saying that its provider cannot be reconciled. Never two tasks, never two charges.

The crash is simulated in-process: the advance is cut by an exception no code catches
(as SIGKILL cuts a process), the step's lease is then let run out, and the engine
advances it again as a restarted process would (its memory of the step is gone)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from reelforge.app import open_container
from reelforge.billing.verify import verify_balances
from reelforge.container import Container
from reelforge.engine.pipeline import Pipeline
from reelforge.providers.base import Provider
from reelforge.storage import identity
from reelforge.storage.ledger_tables import TransactionRow
from reelforge.storage.run_tables import StepRow
from tests.conftest import make_settings

PAID_KINDS = ("capture", "own_key_spend")

# One text-prompted model per provider, and how its lost submissions are settled.
MODELS = {
    "fal": ("fal/flux-dev", "none"),
    "replicate": ("replicate/flux-schnell", "lookup"),
    "runway": ("runway/t2v_gen45", "none"),
    "luma": ("luma/ray-flash-2", "lookup"),
    "minimax": ("minimax/hailuo_6s", "none"),
    "grok": ("grok/grok-2-image", "none"),
    "together": ("together/flux-1-schnell", "none"),
    "pollinations": ("pollinations/flux", "none"),
    "huggingface": ("huggingface/flux-1-schnell", "none"),
    "runware": ("runware/flux-schnell", "idempotent"),
    "kling": ("kling/t2v_5s", "idempotent"),
    "higgsfield": ("higgsfield/soul", "idempotent"),
    "comfyui": ("comfyui/sd15-txt2img", "lookup"),
}


class Killed(BaseException):
    """The process dies here: nothing catches it, nothing after it runs."""


@pytest.fixture
async def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Container]:
    for var in ("FAL_KEY", "REPLICATE_API_TOKEN", "LUMA_API_KEY", "MINIMAX_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    settings = make_settings(tmp_path / "home", sandbox_state="memory")
    async with open_container(settings) as container:
        yield container


def submissions(container: Container, provider: str) -> int:
    app: Any = container.hub.sandbox_endpoints[provider].client._transport.app  # type: ignore[attr-defined]
    return int(app.state.emulator.tasks.submissions["total"])


async def new_step(container: Container, model: str, prompt: str) -> str:
    async with container.db.session() as s:
        owner = await identity.find_owner(s)
    assert owner is not None
    node: dict[str, Any] = {"id": "n", "model": model, "prompt": prompt, "max_micros": 2_000_000}
    created = await container.runs.create_run(owner.id, Pipeline.model_validate({"nodes": [node]}))
    async with container.db.session() as s:
        step_id = (
            await s.execute(select(StepRow.id).where(StepRow.run_id == created.run_id))
        ).scalar_one()
    return str(step_id)


async def step_row(container: Container, step_id: str) -> StepRow:
    async with container.db.session() as s:
        row = (await s.execute(select(StepRow).where(StepRow.id == step_id))).scalar_one()
        s.expunge(row)
    return row


async def crash_then_recover(container: Container, step_id: str) -> StepRow:
    """Advance until the crash, let the lease run out, then advance to the end."""
    with pytest.raises(Killed):
        for _ in range(20):
            await container.engine.advance(step_id)
    crashed = await step_row(container, step_id)
    assert crashed.status == "submitting", crashed.status
    async with container.db.transaction() as s:  # the lease runs out
        await s.execute(update(StepRow).where(StepRow.id == step_id).values(next_at=time.time()))
    deadline = time.monotonic() + 30
    while True:
        await container.engine.advance(step_id)
        row = await step_row(container, step_id)
        if row.status in ("succeeded", "failed", "canceled", "skipped"):
            return row
        assert time.monotonic() < deadline, row.status
        await asyncio.sleep(0.05)


async def paid(container: Container) -> int:
    async with container.db.session() as s:
        assert (await verify_balances(s)).ok
        query = select(func.count()).select_from(TransactionRow)
        return int((await s.execute(query.where(TransactionRow.kind.in_(PAID_KINDS)))).scalar_one())


@pytest.mark.parametrize("provider", sorted(MODELS))
async def test_a_step_leased_and_never_sent_starts_again(
    box: Container, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _how = MODELS[provider]
    step_id = await new_step(box, model, f"a harbour seen by {provider}")
    build = box.engine.requests.build

    async def dies(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(box.engine.requests, "build", build)  # the next process is fine
        raise Killed

    monkeypatch.setattr(box.engine.requests, "build", dies)
    row = await crash_then_recover(box, step_id)
    assert row.status == "succeeded", row.error
    assert submissions(box, provider) == 1
    assert await paid(box) <= 1


@pytest.mark.parametrize("provider", sorted(MODELS))
async def test_a_step_whose_answer_was_lost_is_settled_without_a_second_task(
    box: Container, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, how = MODELS[provider]
    step_id = await new_step(box, model, f"a lighthouse seen by {provider}")
    cls = box.hub.provider_class(provider)
    original = cls.submit

    async def sent_then_dies(self: Provider, request: Any, credential: Any) -> Any:
        monkeypatch.setattr(cls, "submit", original)
        await original(self, request, credential)  # the provider has the task now
        raise Killed

    monkeypatch.setattr(cls, "submit", sent_then_dies)
    row = await crash_then_recover(box, step_id)
    assert submissions(box, provider) == 1  # never a second task
    if how == "none":
        assert row.status == "failed"
        error = row.error or {}
        assert error["detail"]["reason"] == "interrupted_submit"
        assert error["detail"]["reconcilable"] is False and error["detail"]["why"]
        assert provider in error["message"]
        assert await paid(box) == 0
    else:
        assert row.status == "succeeded", row.error
        assert await paid(box) <= 1


def test_every_provider_says_how_its_lost_submissions_are_settled(box: Container) -> None:
    for provider, (_model, how) in MODELS.items():
        assert box.hub.provider_class(provider).reconciliation() == how, provider
    for provider in ("sync", "atlas"):
        cls = box.hub.provider_class(provider)
        assert cls.reconciliation() == "none" and "known only by" in cls.reconcile_note
    notes = {
        box.hub.provider_class(p).reconcile_note
        for p, (_m, how) in MODELS.items()
        if how != "idempotent"
    }
    assert Provider.reconcile_note not in notes  # each says why, in its own terms
