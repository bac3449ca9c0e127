"""Crash recovery: a worker killed with SIGKILL while steps are submitted loses nothing and
pays nothing twice — the next worker resumes polling by the stored task ids."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reelforge.app import open_container
from reelforge.billing.verify import verify_balances
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.fal import SANDBOX_CREDENTIAL, create_app
from reelforge.engine.pipeline import Pipeline
from reelforge.storage import identity
from reelforge.storage.ledger_tables import TransactionRow
from reelforge.storage.run_tables import RunRow, StepRow
from tests.conftest import make_settings
from tests.helpers import serve_asgi

# A paid step: a capture of plan credits, or own-key spend (the owner's environment keys).
PAID_KINDS = ("capture", "own_key_spend")

RUNS = 6


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("reelforge")
    return subprocess.Popen(
        [str(exe), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def _count(container, *where) -> int:  # type: ignore[no-untyped-def]
    async with container.db.session() as s:
        return int(
            (await s.execute(select(func.count()).select_from(StepRow).where(*where))).scalar_one()
        )


@pytest.mark.slow
async def test_sigkill_mid_run_then_restart_finishes_everything_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = create_app(EmulatorConfig(queue_seconds=0.5, run_seconds=6.0, image_run_seconds=4.0))
    state = emulator.state.emulator
    with serve_asgi(emulator) as fal_url:
        home = tmp_path / "h"
        overrides = {
            "provider_base_urls": {"fal": fal_url},
            "fetch_allow_hosts": [fal_url.removeprefix("http://")],
        }
        monkeypatch.setenv("FAL_KEY", SANDBOX_CREDENTIAL["api_key"])
        settings = make_settings(home, **overrides)
        env = {
            **os.environ,
            "REELFORGE_HOME": str(home),
            "REELFORGE_SANDBOX": "true",
            "REELFORGE_LOG_LEVEL": "WARNING",
            "REELFORGE_PROVIDER_BASE_URLS": json.dumps(overrides["provider_base_urls"]),
            "REELFORGE_FETCH_ALLOW_HOSTS": json.dumps(overrides["fetch_allow_hosts"]),
            "FAL_KEY": SANDBOX_CREDENTIAL["api_key"],
        }
        async with open_container(settings) as container:
            async with container.db.session() as s:
                owner_id = (await identity.find_owner(s)).id  # type: ignore[union-attr]
            doc = Pipeline.model_validate(
                {
                    "nodes": [
                        {"id": "still", "model": "fal/flux-dev", "prompt": "a mill"},
                        # fal publishes no price for it: capped, held and charged the cap.
                        {
                            "id": "move",
                            "model": "fal/wan-i2v",
                            "prompt": "wind",
                            "max_micros": 10_000,
                        },
                    ],
                    "edges": [{"from": "still", "to": "move"}],
                }
            )
            for _ in range(RUNS):
                await container.runs.create_run(owner_id, doc)

            first = _worker(env)
            try:
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    submitted = await _count(container, StepRow.status == "submitted")
                    submitting = await _count(container, StepRow.status == "submitting")
                    if submitted == RUNS and submitting == 0:
                        break
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError("the first worker never had every first step submitted")
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=10)
            finally:
                if first.poll() is None:
                    first.kill()
            assert state.tasks.submissions["total"] == RUNS

            second = _worker(env)
            try:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    async with container.db.session() as s:
                        statuses = list((await s.execute(select(RunRow.status))).scalars())
                    if all(st in ("succeeded", "failed", "canceled") for st in statuses):
                        break
                    await asyncio.sleep(0.3)
            finally:
                second.terminate()
                second.wait(timeout=20)
            async with container.db.session() as s:
                statuses = list((await s.execute(select(RunRow.status))).scalars())
                costs = list((await s.execute(select(RunRow.cost_micros))).scalars())
                captures = (
                    await s.execute(
                        select(func.count())
                        .select_from(TransactionRow)
                        .where(TransactionRow.kind.in_(PAID_KINDS))
                    )
                ).scalar_one()
                report = await verify_balances(s)
    assert statuses == ["succeeded"] * RUNS, statuses
    # Exactly one submission per step at the provider: two steps per run.
    assert state.tasks.submissions["total"] == 2 * RUNS
    # No double charge: one capture per paid step, each run paid its quote once.
    assert captures == 2 * RUNS and costs == [25_000 + 10_000] * RUNS
    assert report.ok, report
