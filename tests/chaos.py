"""Chaos runs (issue 25): SIGKILL the process that advances steps at random moments while
runs go through idempotent, non-idempotent (looked up or not) and synchronous providers,
then count what went wrong. Shared by tests/integration/test_chaos.py (bounded) and
bench/bench_chaos.py (the full 200 runs).

- ``embedded``: ``reelforge serve`` (the API process, embedded runner, SQLite) is killed
  and started again; runs are posted to it over HTTP with an Idempotency-Key, retried
  while it is down.
- ``dramatiq``: the API in this process, two ``reelforge worker`` processes on
  PostgreSQL + Redis; one worker at a time is killed and replaced.

The emulators run in this process on 127.0.0.1, so their task records outlive every kill.
Figures: lost runs (accepted, never ended), duplicate submissions (tasks at a provider
beyond one per step's prompt), double captures (more than one payment for a step), and
steps failed that their provider never saw (no task with its prompt).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from reelforge.app import open_container
from reelforge.billing.verify import verify_balances
from reelforge.container import Container
from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.engine.pipeline import Pipeline
from reelforge.providers.plugins import load_registry, plugin_manager
from reelforge.settings import Settings
from reelforge.storage import identity
from reelforge.storage.ledger_tables import TransactionRow
from reelforge.storage.run_tables import RunRow, StepRow
from tests.conftest import make_settings
from tests.helpers import free_port, serve_asgi

PAID_KINDS = ("capture", "own_key_spend")
DONE = ("succeeded", "failed", "canceled")
# model → how its provider takes a submission
MODELS = {
    "kling/t2v_5s": "idempotent",
    "minimax/hailuo_6s": "non-idempotent",
    "luma/ray-flash-2": "non-idempotent, looked up",
    "fal/flux-dev": "non-idempotent",
    "together/flux-1-schnell": "synchronous",
}
CAP_MICROS = 2_000_000
# Short leases: a step cut off by a kill is settled within seconds, not minutes.
LEASES = {"submit_lease_seconds": 6.0, "unsent_lease_seconds": 3.0}


@dataclass
class Figures:
    runner: str
    runs: int = 0
    kills: int = 0
    lost: int = 0
    duplicates: int = 0
    double_captures: int = 0
    failed_unseen: int = 0
    # Of those, marked sent (steps.sent_at) at a provider that cannot be reconciled: the
    # process died between the mark's commit and the request's first byte. No ordering
    # removes that window (marked after sending, a sent request could be sent twice); the
    # send gate (storage.send_gate) shrinks it to the event loop's turns between the
    # commit and aiohttp's write.
    failed_unseen_marked: int = 0
    failed_seen: int = 0  # in flight at a provider that cannot be reconciled: told so
    succeeded: int = 0
    ledger_ok: bool = False
    seconds: float = 0.0
    by_model: dict[str, Counter[str]] = field(default_factory=dict)
    restarts: list[float] = field(default_factory=list)  # seconds until ready again
    unseen: list[str] = field(default_factory=list)  # the steps failed unseen, described

    def line(self) -> str:
        return (
            f"{self.runner}: {self.runs} runs, {self.kills} kills, {self.seconds:.1f} s — lost "
            f"{self.lost} / duplicate submissions {self.duplicates} / double captures "
            f"{self.double_captures} / failed unseen by the provider {self.failed_unseen} "
            f"[{self.failed_unseen - self.failed_unseen_marked} never sent, "
            f"{self.failed_unseen_marked} marked sent, lost on the way] "
            f"(succeeded {self.succeeded}, failed after reaching an unreconcilable provider "
            f"{self.failed_seen}, ledger {'ok' if self.ledger_ok else 'BROKEN'}"
            + (f", slowest restart {max(self.restarts):.1f} s" if self.restarts else "")
            + ")"
        )


def providers() -> list[str]:
    return sorted({model.split("/")[0] for model in MODELS})


@contextmanager
def emulators(
    names: list[str] | None = None, config: EmulatorConfig | None = None
) -> Iterator[dict[str, tuple[str, Any]]]:
    """Each provider's emulator on 127.0.0.1: name → (base URL, its state)."""
    config = config or EmulatorConfig(queue_seconds=0.3, run_seconds=2.0, image_run_seconds=1.0)
    with ExitStack() as stack:
        served: dict[str, tuple[str, Any]] = {}
        for name in names or providers():
            app = registry.load(name).create_app(config)
            served[name] = (stack.enter_context(serve_asgi(app)), app.state.emulator)
        yield served


def live_settings(
    home: Path, served: dict[str, tuple[str, Any]], monkeypatch: Any, **overrides: Any
) -> Settings:
    """Settings of a deployment whose providers are the emulators in ``served`` (live
    mode, their keys in the providers' own environment variables, set on ``monkeypatch``)."""
    env = provider_env(served)
    for key, value in env.items():
        if not key.startswith("REELFORGE_"):
            monkeypatch.setenv(key, value)
    return make_settings(
        home,
        sandbox=False,
        provider_base_urls={name: url for name, (url, _state) in served.items()},
        fetch_allow_hosts=json.loads(env["REELFORGE_FETCH_ALLOW_HOSTS"]),
        apps="",
        **overrides,
    )


def provider_env(served: dict[str, tuple[str, Any]]) -> dict[str, str]:
    """The emulators' keys in the providers' own environment variables, and their URLs."""
    env: dict[str, str] = {}
    classes = load_registry(plugin_manager(load_entry_points=False))
    for name in served:
        credential = registry.load(name).sandbox_credential
        cls = classes.get(name)
        assert cls is not None, name
        for spec in cls.credential_fields:
            if spec.name in credential:
                env[spec.env_vars[0]] = credential[spec.name]
    urls = {name: url for name, (url, _state) in served.items()}
    env["REELFORGE_PROVIDER_BASE_URLS"] = json.dumps(urls)
    env["REELFORGE_FETCH_ALLOW_HOSTS"] = json.dumps(
        [u.removeprefix("http://") for u in urls.values()]
    )
    return env


def node(i: int) -> dict[str, Any]:
    model = list(MODELS)[i % len(MODELS)]
    return {
        "id": "n",
        "model": model,
        "prompt": f"chaos run {i} on {model}",
        "max_micros": CAP_MICROS,
    }


# -- embedded: reelforge serve killed -------------------------------------------------------
class Serve:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log_path = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reelforge.cli.main", "serve"],
            env=self.env,
            cwd=self.log_path.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    async def ready(self, timeout: float = 240) -> None:
        # Generous: on a loaded 2-core machine a restart after SIGKILL (recovery of every
        # step it held) has taken over a minute; the time is reported, not asserted.
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"serve did not start:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


async def post_run(url: str, key: str, i: int, deadline: float) -> str:
    """Post run ``i`` until the server answers (it may be down, or die mid-request). Every
    other run is waited for (``Prefer: wait``): leased in the transaction that stores it."""
    body = {"pipeline": {"nodes": [node(i)]}}
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"chaos-{i}"}
    if i % 2:
        headers["Prefer"] = "wait=2"
    async with httpx.AsyncClient(timeout=10) as client:
        while time.monotonic() < deadline:
            try:
                r = await client.post(f"{url}/v1/runs", json=body, headers=headers)
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
                continue
            if r.status_code in (200, 201, 202):
                return str(r.json()["id"])
            if r.status_code >= 500 or r.status_code == 429:
                await asyncio.sleep(0.2)
                continue
            raise AssertionError(r.text)
    raise AssertionError(f"run {i} was never accepted")


def bursts(runs: int, kills: int) -> list[range]:
    """Runs posted at once, one burst per kill and a last one: each kill lands while the
    process is busy with a burst (leasing, sending, polling)."""
    size = -(-runs // (kills + 1))
    return [range(start, min(runs, start + size)) for start in range(0, runs, size)]


async def chaos_embedded(tmp: Path, runs: int, kills: int, seed: int = 7) -> Figures:
    rng = random.Random(seed)
    figures = Figures("embedded", runs=runs, kills=kills)
    started = time.monotonic()
    home = tmp / "home"
    with emulators() as served:
        env = {
            **os.environ,
            **provider_env(served),
            "REELFORGE_HOME": str(home),
            "REELFORGE_SANDBOX": "false",
            "REELFORGE_APPS": "",
            "REELFORGE_LOG_LEVEL": "WARNING",
            "REELFORGE_NO_PLUGINS": "1",
            "REELFORGE_WORKER_SWEEP_SECONDS": "2",
            # Few new steps a second: a burst's launches wait leased, not yet sent, as
            # under load (where the probe found them when it killed serve).
            "REELFORGE_RUNNER_START_RATE": "5",
            "REELFORGE_SUBMIT_LEASE_SECONDS": str(LEASES["submit_lease_seconds"]),
            "REELFORGE_UNSENT_LEASE_SECONDS": str(LEASES["unsent_lease_seconds"]),
            "REELFORGE_PORT": str(free_port()),
        }
        serve = Serve(env, int(env["REELFORGE_PORT"]), tmp / "serve.log")
        serve.start()
        try:
            await serve.ready()
            key = (home / "owner.key").read_text().strip()
            ids: list[str] = []
            for n, burst in enumerate(bursts(runs, kills)):
                deadline = time.monotonic() + 120  # each burst's posting, restarts included

                async def kill_soon(n: int = n) -> None:
                    if n < kills:
                        await asyncio.sleep(rng.uniform(0.05, 0.6))
                        serve.kill()
                        restarted = time.monotonic()
                        serve.start()
                        await serve.ready()
                        figures.restarts.append(time.monotonic() - restarted)

                posted, _ = await asyncio.gather(
                    asyncio.gather(*(post_run(serve.url, key, i, deadline) for i in burst)),
                    kill_soon(),
                )
                ids += posted
            await wait_ended(serve.url, key, ids, time.monotonic() + 120 + runs)
        finally:
            serve.stop()
        settings = make_settings(home, sandbox=False)
        async with open_container(settings) as container:
            await count(container, served, figures, set(ids))
    figures.seconds = time.monotonic() - started
    return figures


async def wait_ended(url: str, key: str, ids: list[str], deadline: float) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    pending = set(ids)
    async with httpx.AsyncClient(timeout=10, headers=headers) as client:
        while pending and time.monotonic() < deadline:
            for run_id in list(pending):
                try:
                    r = await client.get(f"{url}/v1/runs/{run_id}")
                except httpx.HTTPError:
                    break
                if r.status_code == 200 and r.json()["status"] in DONE:
                    pending.discard(run_id)
            await asyncio.sleep(0.3)


# -- dramatiq: a worker killed ----------------------------------------------------------------
@asynccontextmanager
async def _dramatiq_api(
    home: Path, moto_endpoint: str, served: dict[str, tuple[str, Any]]
) -> AsyncIterator[tuple[Settings, Container, dict[str, str]]]:
    from tests.stack import db_upgrade, scaleout_settings

    env = provider_env(served)
    urls = json.loads(env["REELFORGE_PROVIDER_BASE_URLS"])
    keys = {k: v for k, v in env.items() if not k.startswith("REELFORGE_")}
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    try:
        async with scaleout_settings(
            home,
            moto_endpoint,
            sandbox=False,
            provider_base_urls=urls,
            fetch_allow_hosts=json.loads(env["REELFORGE_FETCH_ALLOW_HOSTS"]),
            worker_sweep_seconds=2.0,
            apps="",
            **LEASES,
        ) as settings:
            assert db_upgrade(settings)
            async with open_container(settings, upgrade_db=False, start_runner=True) as container:
                yield settings, container, keys
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


async def chaos_dramatiq(
    tmp: Path, moto_endpoint: str, runs: int, kills: int, seed: int = 11
) -> Figures:
    from tests.stack import WorkerProcess

    rng = random.Random(seed)
    figures = Figures("dramatiq", runs=runs, kills=kills)
    started = time.monotonic()
    with emulators() as served:
        async with _dramatiq_api(tmp / "home", moto_endpoint, served) as (
            settings,
            container,
            keys,
        ):
            workers = [WorkerProcess(settings, tmp / f"worker-{n}.log", keys) for n in range(2)]
            try:
                for worker in workers:
                    worker.wait_started(240)
                async with container.db.session() as s:
                    owner = await identity.find_owner(s)
                assert owner is not None
                ids: list[str] = []
                for n, burst in enumerate(bursts(runs, kills)):
                    for i in burst:
                        doc = Pipeline.model_validate({"nodes": [node(i)]})
                        ids.append((await container.runs.create_run(owner.id, doc)).run_id)
                    if n < kills:
                        await asyncio.sleep(rng.uniform(0.05, 0.6))
                        victim = n % len(workers)
                        workers[victim].kill()
                        workers[victim] = WorkerProcess(
                            settings, tmp / f"worker-{victim}-{n}.log", keys
                        )
                        await asyncio.to_thread(workers[victim].wait_started, 240)
                deadline = time.monotonic() + 120 + runs
                while time.monotonic() < deadline:
                    async with container.db.session() as s:
                        query = select(func.count()).select_from(RunRow)
                        open_runs = (
                            await s.execute(query.where(RunRow.status.not_in(DONE)))
                        ).scalar_one()
                    if not open_runs:
                        break
                    await asyncio.sleep(0.3)
            finally:
                for worker in workers:
                    worker.stop()
            await count(container, served, figures, set(ids))
    figures.seconds = time.monotonic() - started
    return figures


# -- counting ---------------------------------------------------------------------------------
async def count(
    container: Container, served: dict[str, tuple[str, Any]], figures: Figures, ids: set[str]
) -> None:
    seen: Counter[tuple[str, str]] = Counter()  # (provider, prompt) → tasks made
    for name, (_url, state) in served.items():
        for task in list(state.tasks.tasks.values()):
            seen[(name, task.prompt)] += 1
    async with container.db.session() as s:
        runs = {r.id: r.status for r in (await s.execute(select(RunRow))).scalars()}
        steps = list((await s.execute(select(StepRow))).scalars())
        paid = Counter(
            step_id
            for step_id in (
                await s.execute(
                    select(TransactionRow.step_id).where(TransactionRow.kind.in_(PAID_KINDS))
                )
            ).scalars()
        )
        figures.ledger_ok = (await verify_balances(s)).ok
    figures.lost = sum(1 for run_id in ids if runs.get(run_id) not in DONE)
    figures.double_captures = sum(1 for n in paid.values() if n > 1)
    figures.duplicates = sum(n - 1 for n in seen.values() if n > 1)
    for step in steps:
        provider = step.model.split("/")[0]
        prompt = str(step.request.get("prompt", ""))
        tally = figures.by_model.setdefault(step.model, Counter())
        tally[step.status] += 1
        if step.status == "succeeded":
            figures.succeeded += 1
        elif step.status == "failed":
            if seen[(provider, prompt)]:
                figures.failed_seen += 1
            else:
                figures.failed_unseen += 1
                figures.failed_unseen_marked += step.sent_at is not None
                error = step.error or {}
                figures.unseen.append(
                    f"{step.model} {error.get('code')} sent_at={'set' if step.sent_at else 'none'}"
                    f": {str(error.get('message'))[:160]}"
                )
