"""Two Dramatiq worker processes on PostgreSQL + Redis + S3, a live provider (fal's emulator
on 127.0.0.1): every step is submitted once, paid once, and a worker killed with SIGKILL
loses nothing (its messages come back from Redis and the other worker finishes them)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelforge import billing
from reelforge.app import open_container
from reelforge.container import Container
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.fal import SANDBOX_CREDENTIAL, create_app
from reelforge.engine.pipeline import Pipeline
from reelforge.jobs.dramatiq_runner import DramatiqRunner
from reelforge.settings import Settings
from reelforge.storage import identity
from reelforge.storage.ledger_tables import TransactionRow
from reelforge.storage.run_tables import RunRow, StepRow
from tests.helpers import free_port, serve_asgi
from tests.ledger_helpers import assert_ledger_ok
from tests.stack import REDIS_URL, WorkerProcess, db_upgrade, open_stack, scaleout_settings

# A paid step: a capture of plan credits, or own-key spend (the owner's environment keys).
PAID_KINDS = ("capture", "own_key_spend")

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.s3]

FAL_ENV = {"FAL_KEY": SANDBOX_CREDENTIAL["api_key"]}


@dataclass
class Live:
    container: Container
    settings: Settings
    emulator: Any
    owner_id: str
    workers: list[WorkerProcess]


@asynccontextmanager
async def live_stack(
    tmp_path: Path, moto_endpoint: str, *, workers: int, image_seconds: float, **overrides: Any
) -> AsyncIterator[Live]:
    """The API in this process, ``workers`` worker processes; every node has the fal key
    (the API node decides what to hold, so it must know the provider is live too)."""
    emulator = create_app(
        EmulatorConfig(
            queue_seconds=0.1, run_seconds=image_seconds, image_run_seconds=image_seconds
        )
    )
    with serve_asgi(emulator) as fal_url, pytest.MonkeyPatch.context() as env:
        env.setenv("FAL_KEY", FAL_ENV["FAL_KEY"])
        async with scaleout_settings(
            tmp_path / "home",
            moto_endpoint,
            provider_base_urls={"fal": fal_url},
            fetch_allow_hosts=[fal_url.removeprefix("http://")],
            **overrides,
        ) as settings:
            assert db_upgrade(settings)  # the CLI migrates PostgreSQL, as in production
            async with open_container(settings, upgrade_db=False, start_runner=True) as container:
                async with container.db.transaction() as session:
                    owner = await identity.find_owner(session)
                    assert owner is not None
                    await billing.credit_topup(
                        session, owner.id, 50_000_000, idempotency_key="fund-owner"
                    )
                procs = [
                    WorkerProcess(settings, tmp_path / f"worker-{i}.log", env=FAL_ENV)
                    for i in range(workers)
                ]
                try:
                    for proc in procs:
                        proc.wait_started()
                    yield Live(container, settings, emulator, owner.id, procs)
                finally:
                    for proc in procs:
                        proc.stop()


def chain(i: int) -> Pipeline:
    """t2i → i2i: the child's input is the parent's output, read back from S3."""
    return Pipeline.model_validate(
        {
            "nodes": [
                {
                    "id": "still",
                    "model": "fal/flux-dev",
                    "prompt": f"run {i} still",
                    "params": {"image_size": "square"},
                    "seed": i,
                },
                {
                    "id": "restyle",
                    "model": "fal/flux-dev-i2i",
                    "prompt": f"run {i} restyle",
                    "max_micros": 100_000,
                },
            ],
            "edges": [{"from": "still", "to": "restyle"}],
        }
    )


async def start_runs(live: Live, count: int) -> list[str]:
    ids = []
    for i in range(count):
        created = await live.container.runs.create_run(live.owner_id, chain(i))
        await live.container.runner.enqueue(created.ready)
        ids.append(created.run_id)
    return ids


async def step_counts(container: Container) -> Counter[str]:
    async with container.db.session() as session:
        rows = (
            await session.execute(select(StepRow.status, func.count()).group_by(StepRow.status))
        ).all()
    return Counter({status: n for status, n in rows})


async def wait_all_finished(container: Container, run_ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with container.db.session() as session:
            open_runs = (
                await session.execute(
                    select(func.count()).where(
                        RunRow.id.in_(run_ids), RunRow.status.in_(["queued", "running"])
                    )
                )
            ).scalar_one()
        if open_runs == 0:
            return
        await asyncio.sleep(0.5)
    pytest.fail(f"runs still open after {timeout} s: {dict(await step_counts(container))}")


async def check_exactly_once(live: Live, run_ids: list[str]) -> None:
    """Every run succeeded; the emulator saw one task per step; one capture per paid step."""
    async with live.container.db.session() as session:
        statuses = Counter(
            (await session.execute(select(RunRow.status).where(RunRow.id.in_(run_ids)))).scalars()
        )
        steps = list((await session.execute(select(StepRow))).scalars())
        # Keys end in the step id: capture:<run>:<hold generation>:<step>, own_spend:<run>:<step>.
        captures = Counter(
            key.rsplit(":", 1)[1]
            for key in (
                await session.execute(
                    select(TransactionRow.idempotency_key).where(
                        TransactionRow.kind.in_(PAID_KINDS)
                    )
                )
            ).scalars()
        )
    assert statuses == {"succeeded": len(run_ids)}, statuses
    assert not any(s.sandbox for s in steps)
    tasks = list(live.emulator.state.emulator.tasks.tasks.values())
    per_prompt = Counter(task.prompt for task in tasks)
    expected = {f"run {i} {node}" for i in range(len(run_ids)) for node in ("still", "restyle")}
    assert set(per_prompt) == expected
    assert max(per_prompt.values()) == 1, [p for p, n in per_prompt.items() if n > 1][:10]
    assert len({s.task_id for s in steps}) == len(steps) == 2 * len(run_ids)
    paid = [s.id for s in steps if s.cost_micros]
    assert len(paid) == 2 * len(
        run_ids
    )  # flux-dev at its price, flux-dev-i2i at its max_micros cap
    assert all(captures[step_id] == 1 for step_id in paid), captures.most_common(3)
    assert sum(captures.values()) == len(paid)
    await assert_ledger_ok(live.container.db)


def advances_in(proc: WorkerProcess) -> int:
    for line in proc.output().splitlines():
        if "stopped after" in line:
            return int(line.split("stopped after", 1)[1].split()[0])
    raise AssertionError(f"no final line in the worker's output:\n{proc.output()[-2000:]}")


async def test_two_workers_200_runs_each_step_submitted_once(
    tmp_path: Path, moto_endpoint: str
) -> None:
    async with live_stack(tmp_path, moto_endpoint, workers=2, image_seconds=0.3) as live:
        run_ids = await start_runs(live, 200)
        await wait_all_finished(live.container, run_ids, timeout=240)
        await check_exactly_once(live, run_ids)
        for proc in live.workers:
            proc.stop()
        shares = [advances_in(proc) for proc in live.workers]
    assert all(n > 0 for n in shares), shares  # both processes did work


def unacked_by_worker(namespace: str) -> dict[str, int]:
    """Messages each Dramatiq worker has fetched and not yet acknowledged (Redis broker)."""
    client = redis.Redis.from_url(REDIS_URL)
    held: Counter[str] = Counter()
    for key in client.scan_iter(match=f"{namespace}:__acks__.*"):
        broker_id = key.decode().split("__acks__.", 1)[1][:36]
        held[broker_id] += int(client.scard(key))
    client.close()
    return {k: v for k, v in held.items() if v}


async def test_sigkill_one_worker_mid_run_loses_nothing_and_pays_once(
    tmp_path: Path, moto_endpoint: str
) -> None:
    # No sweeps: only Redis redelivery can bring the killed worker's messages back.
    async with live_stack(
        tmp_path, moto_endpoint, workers=2, image_seconds=40.0, worker_sweep_seconds=0
    ) as live:
        run_ids = await start_runs(live, 60)
        # Tasks run 40 s at the provider so all 60 are in flight together even when a busy
        # machine takes a while to submit them.
        deadline = time.monotonic() + 90
        # Kill when every first step is at the provider (still running there) and none is
        # half-submitted: a step caught in ``submitting`` is failed after its lease rather
        # than resubmitted (fal has no idempotency key), which is the engine's rule, not
        # what this test is about.
        while True:
            counts = await step_counts(live.container)
            if counts["submitted"] == 60 and counts["submitting"] == 0:
                break
            assert time.monotonic() < deadline, counts
            await asyncio.sleep(0.05)
        holders = unacked_by_worker(live.settings.broker_namespace)
        live.workers[0].kill()
        assert len(holders) == 2, holders  # both workers held messages when one died
        await wait_all_finished(live.container, run_ids, timeout=240)
        await check_exactly_once(live, run_ids)
        live.workers[1].stop()
        assert advances_in(live.workers[1]) > 0


async def test_worker_serves_metrics_sends_the_webhook_and_the_api_node_only_enqueues(
    tmp_path: Path, moto_endpoint: str
) -> None:
    received: list[bytes] = []

    async def hook(request: Request) -> Response:
        received.append(await request.body())
        return Response(status_code=200)

    port = free_port()
    with serve_asgi(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as hook_url:
        async with open_stack(
            "scaleout",
            tmp_path / "home",
            moto_endpoint,
            worker_metrics_port=port,
            fetch_allow_hosts=[hook_url.removeprefix("http://")],
        ) as container:
            async with container.db.session() as session:
                owner = await identity.find_owner(session)
            assert owner is not None
            created = await container.runs.create_run(
                owner.id, chain(0), callback_url=f"{hook_url}/hook"
            )
            await container.runner.enqueue(created.ready)
            assert await container.runner.wait_run(created.run_id, 60)
            async with httpx.AsyncClient() as client:
                text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            for _ in range(100):
                if received:
                    break
                await asyncio.sleep(0.1)
            runner = container.runner
            assert isinstance(runner, DramatiqRunner) and not runner.consume
            assert runner.advances == 0  # every advance happened in the worker process
    done = [
        line
        for line in text.splitlines()
        if line.startswith("dramatiq_messages_total{")
        and 'actor_name="reelforge.advance_step"' in line
    ]
    assert done and float(done[0].rsplit(" ", 1)[1]) >= 4  # submit, poll, … for two steps
    assert "dramatiq_message_duration_milliseconds_bucket" in text
    assert received and b'"status":"succeeded"' in received[0]  # sent by the worker


async def test_a_second_delivery_wakes_children_the_first_never_woke(
    tmp_path: Path, moto_endpoint: str
) -> None:
    """The worker died after the parent's success was committed, before it sent the wake:
    the parent's message comes back, finds nothing to advance, and wakes the child."""
    async with open_stack(
        "scaleout", tmp_path / "home", moto_endpoint, worker_sweep_seconds=0
    ) as container:  # the worker's start-up rescan is over: nothing exists yet
        async with container.db.session() as session:
            owner = await identity.find_owner(session)
        assert owner is not None
        created = await container.runs.create_run(owner.id, chain(0))
        [parent] = created.ready
        deadline = time.monotonic() + 60
        result = await container.engine.advance(parent)  # here, not in the worker
        while not result.wake:
            assert time.monotonic() < deadline and result.next_at is not None, result
            await asyncio.sleep(max(0.0, result.next_at - time.time()))
            result = await container.engine.advance(parent)
        # ... and the wake is lost with the "dead" worker. Its message is delivered again:
        runner = container.runner
        assert isinstance(runner, DramatiqRunner)
        actor, _book = runner._setup()
        actor.send_with_options(args=(parent, "token-of-the-dead-delivery"))
        assert await runner.wait_run(created.run_id, 60)
        run, steps = await container.runs.get_run(created.run_id, owner.id)
    assert run.status == "succeeded", [(s.node_id, s.status, s.error) for s in steps]
