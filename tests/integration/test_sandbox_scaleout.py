"""Sandbox mode with two Dramatiq workers (PostgreSQL, Redis): a step submitted by one
worker's in-process emulator is polled by whichever worker gets the next message, so the
emulators' task state lives in the deployment's shared state file (<home>/sandbox.db)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from reelforge.engine.pipeline import Pipeline
from reelforge.storage import identity
from reelforge.storage.run_tables import RunRow
from tests.stack import open_stack

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.s3]

MODELS = {  # model → its emulator
    "fal/flux-dev": "fal",
    "luma/ray-flash-2": "luma",
    "minimax/T2V-01": "minimax",
    "kling/t2v_5s": "kling",
    "together/flux-1-schnell": "together",
}
EACH = 4


async def test_two_workers_answer_for_each_others_sandbox_tasks(
    tmp_path: Path, moto_endpoint: str
) -> None:
    home = tmp_path / "home"
    async with open_stack("scaleout", home, moto_endpoint, workers=2) as container:
        async with container.db.session() as s:
            owner_id = (await identity.find_owner(s)).id  # type: ignore[union-attr]
        runs = []
        for i in range(EACH):
            for model in MODELS:
                doc = {"nodes": [{"id": "n", "model": model, "prompt": f"a paper boat {i}"}]}
                created = await container.runs.create_run(owner_id, Pipeline.model_validate(doc))
                await container.runner.enqueue_created(created)
                runs.append(created.run_id)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            async with container.db.session() as s:
                rows = list((await s.execute(select(RunRow).where(RunRow.id.in_(runs)))).scalars())
            if all(r.status in ("succeeded", "failed", "canceled") for r in rows):
                break
            await asyncio.sleep(0.5)
    failed = [(r.status, r.error) for r in rows if r.status != "succeeded"]
    assert not failed, failed
    with sqlite3.connect(home / "sandbox.db") as db:
        recorded = Counter(e for (e,) in db.execute("SELECT emulator FROM tasks"))
    # One provider task per step, whichever worker submitted or polled it.
    assert recorded == Counter({name: EACH for name in MODELS.values()}), recorded
