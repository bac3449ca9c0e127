"""A sandbox deployment with several ``reelforge worker`` processes on PostgreSQL and Redis
(the scale-out test and bench/bench_scaleout.py): mixed sandbox generations across five
emulated providers, whose task state every process finds in the deployment database."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from reelforge import billing
from reelforge.app import open_container
from reelforge.container import Container
from reelforge.emulators.base.durable import DurableStore
from reelforge.engine.pipeline import Pipeline
from reelforge.settings import Settings
from reelforge.storage import identity
from reelforge.storage.run_tables import RunRow, StepRow
from tests.stack import WorkerProcess, scaleout_settings

MODELS = {  # model → its emulator
    "together/flux-1-schnell": "together",
    "kling/t2v_5s": "kling",
    "minimax/T2V-01": "minimax",
    "fal/flux-dev": "fal",
    "luma/ray-flash-2": "luma",
}
PRICED = {"fal/flux-dev"}
CAP_MICROS = 10_000  # an unpriced model needs a cap; held, and charged at most that
DONE = ("succeeded", "failed", "canceled")


def generation(i: int) -> tuple[str, Pipeline]:
    """The i-th generation: the models in turn, each with a prompt of its own."""
    model = list(MODELS)[i % len(MODELS)]
    node: dict[str, Any] = {"id": "n", "model": model, "prompt": f"a paper boat number {i}"}
    if model not in PRICED:
        node["max_micros"] = CAP_MICROS
    return model, Pipeline.model_validate({"nodes": [node]})


@dataclass
class Fleet:
    container: Container
    settings: Settings
    owner_id: str
    tmp: Path
    workers: list[WorkerProcess] = field(default_factory=list)

    def add_worker(self) -> WorkerProcess:
        """A worker with a home of its own: nothing on disk is shared with other processes."""
        n = len(self.workers)
        home = self.tmp / f"worker-{n}" / "home"
        home.mkdir(parents=True)
        proc = WorkerProcess(
            self.settings,
            home.parent / "worker.log",
            env={"REELFORGE_HOME": str(home), "REELFORGE_SECRET": self.secret},
        )
        self.workers.append(proc)
        return proc

    @property
    def secret(self) -> str:
        return str(self.container.extras["secret"])

    async def start(self, count: int) -> list[str]:
        runs = []
        for i in range(count):
            _, doc = generation(i)
            created = await self.container.runs.create_run(self.owner_id, doc)
            await self.container.runner.enqueue_created(created)
            runs.append(created.run_id)
        return runs

    async def statuses(self, runs: list[str]) -> Counter[str]:
        async with self.container.db.session() as s:
            rows = await s.execute(
                select(RunRow.status, func.count())
                .where(RunRow.id.in_(runs))
                .group_by(RunRow.status)
            )
            return Counter({str(status): int(n) for status, n in rows})

    async def step_states(self) -> Counter[str]:
        async with self.container.db.session() as s:
            rows = await s.execute(select(StepRow.status, func.count()).group_by(StepRow.status))
            return Counter({str(status): int(n) for status, n in rows})

    async def wait(self, runs: list[str], timeout: float, *, done: int | None = None) -> None:
        """Until ``done`` runs (default: all of them) have finished."""
        want = len(runs) if done is None else done
        deadline = time.monotonic() + timeout
        while True:
            counts = await self.statuses(runs)
            if sum(counts[s] for s in DONE) >= want:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"runs not finished after {timeout} s: {dict(counts)}")
            await asyncio.sleep(0.1)

    def recorded_tasks(self) -> list[tuple[str, str | None, str]]:
        """(emulator, idempotency key, prompt) of every task the emulators recorded as
        submitted, whichever process took it: read from the deployment database."""
        store = DurableStore(self.settings.resolved_database_url)
        try:
            return [(emu, idem, _prompt(body)) for emu, _, idem, body in store.submissions()]
        finally:
            store.close()


def _prompt(body: bytes) -> str:
    def find(value: Any) -> str | None:
        if isinstance(value, dict):
            if isinstance(value.get("prompt"), str):
                return str(value["prompt"])
            value = list(value.values())
        if isinstance(value, list):
            for item in value:
                found = find(item)
                if found is not None:
                    return found
        return None

    return find(json.loads(body)) or ""


@asynccontextmanager
async def open_fleet(
    tmp: Path, moto_endpoint: str, workers: int, **overrides: Any
) -> AsyncIterator[Fleet]:
    """The API node in this process (PostgreSQL, Dramatiq on Redis, S3 on moto) and
    ``workers`` worker processes, each with its own REELFORGE_HOME."""
    async with scaleout_settings(tmp / "api" / "home", moto_endpoint, **overrides) as settings:
        async with open_container(settings, upgrade_db=True, start_runner=True) as container:
            async with container.db.transaction() as session:
                owner = await identity.find_owner(session)
                assert owner is not None
                await billing.credit_topup(
                    session, owner.id, 50_000_000, idempotency_key="fund-owner"
                )
            fleet = Fleet(container, settings, owner.id, tmp)
            try:
                for _ in range(workers):
                    fleet.add_worker()
                for proc in fleet.workers:
                    proc.wait_started()
                yield fleet
            finally:
                for proc in fleet.workers:
                    proc.stop()
