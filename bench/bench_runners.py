"""Runners side by side: step advances per second, embedded vs 1 and 2 Dramatiq workers.

The same workload each time: ``BENCH_RUNS`` (default 300) two-step runs (fal/flux-dev
t2i → fal/flux-dev-i2i, live provider mode with holds and captures) against every
emulator served by ``reelforge emulate`` in its own process on 127.0.0.1. All runs are
created first; the clock starts when their first steps are scheduled (the embedded
runner's start-up rescan, or one batch enqueue to the Dramatiq workers) and stops when
every run is terminal. Artifacts live on the local filesystem in every case; the embedded
runner is measured on SQLite (the default) and on PostgreSQL (the Dramatiq database).

An "advance" is one ``Engine.advance`` call (submit, a poll, a collection, or a no-op
when another advance got there first); "steps/s" counts finished steps.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from reelforge import billing
from reelforge.app import open_container
from reelforge.container import Container
from reelforge.engine.pipeline import Pipeline
from reelforge.settings import Settings
from reelforge.storage import identity
from reelforge.storage.run_tables import RunRow

PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
FAL_KEY = "fal-sandbox-key"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pipeline(i: int) -> Pipeline:
    return Pipeline.model_validate(
        {
            "nodes": [
                {
                    "id": "a",
                    "model": "fal/flux-dev",
                    "prompt": f"bench {i}",
                    "params": {"image_size": "square"},
                    "seed": i,
                },
                # fal publishes no price for it: capped (held, charged at most that).
                {
                    "id": "b",
                    "model": "fal/flux-dev-i2i",
                    "prompt": f"bench {i} b",
                    "max_micros": 25_000,
                },
            ],
            "edges": [{"from": "a", "to": "b"}],
        }
    )


async def _create_runs(container: Container, count: int) -> list[str]:
    async with container.db.transaction() as session:
        owner = await identity.find_owner(session)
        assert owner is not None
        await billing.credit_topup(session, owner.id, 10**10, idempotency_key="bench-fund")
    ready: list[str] = []
    for i in range(count):
        created = await container.runs.create_run(owner.id, _pipeline(i))
        ready.extend(created.ready)
    return ready


async def _wait_finished(container: Container, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with container.db.session() as session:
            left = (
                await session.execute(
                    select(func.count()).where(RunRow.status.in_(["queued", "running"]))
                )
            ).scalar_one()
        if not left:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("runs did not finish")


async def _outcome(
    container: Container, runs: int, elapsed: float, advances: int
) -> dict[str, Any]:
    async with container.db.session() as session:
        statuses = dict(
            (await session.execute(select(RunRow.status, func.count()).group_by(RunRow.status)))
            .tuples()
            .all()
        )
    return {
        "runs": runs,
        "statuses": statuses,
        "seconds": round(elapsed, 2),
        "advances": advances,
        "advances_per_s": round(advances / elapsed, 1),
        "steps_per_s": round(2 * runs / elapsed, 1),
    }


def _settings(home: Path, fal_url: str, **values: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        home=home,
        log_level="WARNING",
        provider_base_urls={"fal": fal_url},
        fetch_allow_hosts=[fal_url.removeprefix("http://").split("/", 1)[0]],
        **values,
    )


async def _embedded(
    home: Path, fal_url: str, runs: int, database_url: str | None
) -> dict[str, Any]:
    settings = _settings(home, fal_url, database_url=database_url)
    async with open_container(settings, upgrade_db=True) as container:
        await _create_runs(container, runs)
        started = time.perf_counter()
        await container.runner.start()  # its rescan schedules every first step
        try:
            await _wait_finished(container)
            elapsed = time.perf_counter() - started
        finally:
            await container.runner.stop()
        advances = int(getattr(container.runner, "advances", 0))
        return await _outcome(container, runs, elapsed, advances)


def _env(settings: Settings) -> dict[str, str]:
    import json

    env = dict(os.environ, REELFORGE_NO_PLUGINS="1", FAL_KEY=FAL_KEY)
    for name, value in settings.model_dump(mode="json").items():
        if value is not None and name != "secret":
            text_value = json.dumps(value) if isinstance(value, dict | list) else str(value)
            env[f"REELFORGE_{name.upper()}"] = text_value
    return env


async def _dramatiq(
    home: Path, fal_url: str, runs: int, database_url: str, workers: int
) -> dict[str, Any]:
    namespace = f"rf-bench-{uuid.uuid4().hex[:8]}"
    settings = _settings(
        home,
        fal_url,
        database_url=database_url,
        runner="dramatiq",
        broker_namespace=namespace,
        worker_metrics_port=0,
    )
    procs: list[subprocess.Popen[bytes]] = []
    logs = [home.parent / f"{namespace}-{i}.log" for i in range(workers)]
    try:
        async with open_container(settings, upgrade_db=True, start_runner=True) as container:
            ready = await _create_runs(container, runs)
            procs = await asyncio.to_thread(_start_workers, settings, logs)
            started = time.perf_counter()
            await container.runner.enqueue(ready)
            await _wait_finished(container)
            elapsed = time.perf_counter() - started
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=60)
            advances = sum(
                int(log.read_text().split("stopped after", 1)[1].split()[0]) for log in logs
            )
            result = await _outcome(container, runs, elapsed, advances)
            result["worker_threads"] = settings.worker_threads
            return result
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        import redis

        client = redis.Redis.from_url(settings.broker_url)
        keys = list(client.scan_iter(match=f"{namespace}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def _start_workers(settings: Settings, logs: list[Path]) -> list[subprocess.Popen[bytes]]:
    """Worker processes, returned once each is started and idle (nothing enqueued yet)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "reelforge.cli.main", "worker"],
            env=_env(settings),
            cwd=log.parent,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    for log in logs:
        while "started" not in log.read_text():
            time.sleep(0.1)
    return procs


async def _with_pg(fn: Any, *args: Any) -> dict[str, Any]:
    name = f"rf_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return dict(await fn(*args, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"))
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def _start_emulator(root: Path, port: int) -> subprocess.Popen[bytes]:
    import httpx

    proc = subprocess.Popen(
        [sys.executable, "-m", "reelforge.cli.main", "emulate", "--port", str(port)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/fal/__emulator/stats", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the emulators did not start")


async def _all(root: Path, fal_url: str, runs: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"workload": f"{runs} runs of t2i → i2i (fal emulator)"}
    figures["embedded_sqlite"] = await _embedded(root / "e1", fal_url, runs, None)

    async def embedded_pg(url: str) -> dict[str, Any]:
        return await _embedded(root / "e2", fal_url, runs, url)

    async def dramatiq_1(url: str) -> dict[str, Any]:
        return await _dramatiq(root / "d1", fal_url, runs, url, 1)

    async def dramatiq_2(url: str) -> dict[str, Any]:
        return await _dramatiq(root / "d2", fal_url, runs, url, 2)

    figures["embedded_postgres"] = await _with_pg(embedded_pg)
    figures["dramatiq_1_worker_postgres_redis"] = await _with_pg(dramatiq_1)
    figures["dramatiq_2_workers_postgres_redis"] = await _with_pg(dramatiq_2)
    return figures


def run() -> dict[str, Any]:
    runs = int(os.environ.get("BENCH_RUNS", "300"))
    port = _free_port()
    os.environ["FAL_KEY"] = FAL_KEY  # every node sees the provider as live
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        emulator = _start_emulator(root, port)
        try:
            return asyncio.run(_all(root, f"http://127.0.0.1:{port}/fal", runs))
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
