"""Sandbox mode scaled out: an API node and two `reelforge worker` processes on PostgreSQL
and Redis, 40 mixed sandbox generations, one worker SIGKILLed at the 21st and replaced.
A step submitted by one worker's in-process emulator is polled by whichever worker gets
the next message, so the emulators' task state must be shared; each process has a home
of its own (no SQLite file in common), so it is the deployment database that shares it."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from pathlib import Path

import av
import pytest
from PIL import Image
from sqlalchemy import select

from reelforge.storage.run_tables import RunRow, StepRow
from tests.ledger_helpers import assert_ledger_ok
from tests.sandbox_fleet import MODELS, Fleet, open_fleet

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.s3]

COUNT = 40


async def test_two_workers_one_killed_and_replaced_40_of_40_sandbox_generations(
    tmp_path: Path, moto_endpoint: str
) -> None:
    async with open_fleet(tmp_path, moto_endpoint, workers=2) as fleet:
        runs = await fleet.start(COUNT)
        await fleet.wait(runs, timeout=120, done=20)
        # Kill at the 21st, while no step is half-submitted: a step caught in `submitting`
        # on a provider without an idempotency key is failed by design (DESIGN.md), which is
        # not what this test is about.
        while (await fleet.step_states())["submitting"]:
            await asyncio.sleep(0.01)
        fleet.workers[0].kill()
        in_flight = COUNT - (await fleet.statuses(runs))["succeeded"]
        fleet.add_worker().wait_started()
        await fleet.wait(runs, timeout=150)
        await _check(fleet, runs)
        recorded = fleet.recorded_tasks()
    assert in_flight > 0  # the kill did leave generations for the others to finish
    # Each generation's provider task submitted once, whichever worker submitted or polled
    # it, dead or alive: one recorded task per prompt, one per idempotency key where the
    # provider takes one (Kling's external_task_id).
    per_prompt = Counter(prompt for _, _, prompt in recorded)
    assert len(per_prompt) == COUNT and set(per_prompt.values()) == {1}, per_prompt
    per_key = Counter(key for _, key, _ in recorded if key)
    assert per_key and set(per_key.values()) == {1}, per_key
    per_emulator = Counter(emulator for emulator, _, _ in recorded)
    assert per_emulator == Counter({e: COUNT // len(MODELS) for e in MODELS.values()})
    # No process kept emulator state in a file: the database is what they share.
    assert not list(tmp_path.rglob("sandbox.db*"))


async def _check(fleet: Fleet, runs: list[str]) -> None:
    async with fleet.container.db.session() as s:
        rows = list((await s.execute(select(RunRow).where(RunRow.id.in_(runs)))).scalars())
        steps = list((await s.execute(select(StepRow).where(StepRow.run_id.in_(runs)))).scalars())
    failed = [(r.status, r.error) for r in rows if r.status != "succeeded"]
    assert not failed, failed
    assert len(steps) == COUNT and len({s.task_id for s in steps}) == COUNT
    for step in steps:
        assert step.outputs, step.id
        for artifact_id in step.outputs:
            row = await fleet.container.artifacts.get(artifact_id)
            _decode(await fleet.container.artifacts.read_bytes(row), row.kind)
    await assert_ledger_ok(fleet.container.db)


def _decode(data: bytes, kind: str) -> None:
    """The media decodes: an image's pixels, a video's first frame."""
    if kind == "image":
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            assert image.width > 0
        return
    assert kind == "video", kind
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        assert frame.width > 0
