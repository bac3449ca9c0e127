"""Test deployments: (SQLite, embedded, files) and (PostgreSQL, Dramatiq on Redis, S3 on moto).

Each scale-out stack gets its own PostgreSQL database, Redis key prefix and S3 bucket,
all removed afterwards; its workers are real ``reelforge worker`` processes. A service that
cannot be reached fails the test with a clear message (never a skip).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from reelforge.app import open_container
from reelforge.container import Container
from reelforge.settings import Settings
from tests.conftest import PG_ADMIN, make_settings

REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Test-friendly redelivery: a worker silent for 5 s is dead, and about one broker command
# in ten runs the maintenance that requeues its messages (production: 60 s, 1 in 1000).
FAST_REDELIVERY: dict[str, Any] = {
    "redis_heartbeat_timeout_ms": 5000,
    "redis_maintenance_chance": 100_000,
    "worker_idle_ms": 100,
    "worker_sweep_seconds": 5.0,
    "worker_metrics_port": 0,
}


@asynccontextmanager
async def pg_database() -> AsyncIterator[str]:
    name = f"rf_test_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        await admin.dispose()
        pytest.fail(
            f"PostgreSQL on 127.0.0.1:5432 is not usable ({exc!r}); run scripts/services.sh"
        )
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@contextmanager
def redis_namespace(url: str = REDIS_URL) -> Iterator[str]:
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {url} is not usable ({exc!r}); run scripts/services.sh")
    namespace = f"rf-test-{uuid.uuid4().hex[:10]}"
    try:
        yield namespace
    finally:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])
        client.close()


@contextmanager
def s3_bucket(endpoint: str) -> Iterator[str]:
    os.environ.update(AWS_ENV)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = f"rf-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    try:
        yield bucket
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)


@contextmanager
def rabbitmq_queue(url: str = AMQP_URL) -> Iterator[str]:
    """A queue name private to this test; Dramatiq's queues for it are deleted afterwards."""
    import pika

    try:
        connection = pika.BlockingConnection(pika.URLParameters(url))
    except Exception as exc:
        pytest.fail(f"RabbitMQ at 127.0.0.1:5672 is not usable ({exc!r}); run scripts/services.sh")
    connection.close()
    name = f"rf-test-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = connection.channel()
        for queue in (name, f"{name}.DQ", f"{name}.XQ"):
            channel.queue_delete(queue=queue)
        connection.close()


def settings_env(settings: Settings) -> dict[str, str]:
    """The same settings as REELFORGE_* variables, for a worker process."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None or name == "secret":
            continue
        env[f"REELFORGE_{name.upper()}"] = (
            json.dumps(value) if isinstance(value, dict | list) else str(value)
        )
    return env


def db_upgrade(settings: Settings) -> str:
    """``reelforge db upgrade`` in a child process, as a deployment runs it before starting."""
    env = {**os.environ, **settings_env(settings), "REELFORGE_NO_PLUGINS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "reelforge.cli.main", "db", "upgrade", "--json"],
        env=env,
        cwd=settings.home.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return str(json.loads(done.stdout)["revision"])


class WorkerProcess:
    """``reelforge worker`` in a child process, its output in a log file."""

    def __init__(self, settings: Settings, log_path: Path, env: dict[str, str] | None = None):
        self.log_path = log_path
        full_env = {**os.environ, **AWS_ENV, **settings_env(settings), **(env or {})}
        full_env["REELFORGE_NO_PLUGINS"] = "1"
        self.log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reelforge.cli.main", "worker"],
            env=full_env,
            cwd=log_path.parent,  # no stray .env file is read
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_started(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while "ReelForge worker" not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


@asynccontextmanager
async def scaleout_settings(
    home: Path, moto_endpoint: str, **overrides: Any
) -> AsyncIterator[Settings]:
    """PostgreSQL + Dramatiq on Redis + S3 (moto), each private to this test."""
    async with pg_database() as db_url:
        with redis_namespace() as namespace, s3_bucket(moto_endpoint) as bucket:
            values: dict[str, Any] = {
                "database_url": db_url,
                "runner": "dramatiq",
                "broker_url": REDIS_URL,
                "broker_namespace": namespace,
                "artifact_store_url": f"s3://{bucket}/artifacts",
                "s3_endpoint_url": moto_endpoint,
                **FAST_REDELIVERY,
            }
            values.update(overrides)
            yield make_settings(home, **values)


@asynccontextmanager
async def open_stack(
    kind: str, home: Path, moto_endpoint: str | None, workers: int = 1, **overrides: Any
) -> AsyncIterator[Container]:
    """An API container with its runner started; for ``scaleout`` also ``workers`` worker
    processes (PostgreSQL migrated first, as ``reelforge db upgrade`` would)."""
    if kind == "embedded":
        async with open_container(make_settings(home, **overrides), start_runner=True) as c:
            yield c
        return
    assert moto_endpoint is not None
    if kind == "scaleout-rabbitmq":
        with rabbitmq_queue() as queue:
            async with _scaleout(
                home, moto_endpoint, workers, broker_url=AMQP_URL, queue_name=queue, **overrides
            ) as container:
                yield container
        return
    async with _scaleout(home, moto_endpoint, workers, **overrides) as container:
        yield container


@asynccontextmanager
async def _scaleout(
    home: Path, moto_endpoint: str, workers: int, **overrides: Any
) -> AsyncIterator[Container]:
    async with scaleout_settings(home, moto_endpoint, **overrides) as settings:
        async with open_container(settings, upgrade_db=True, start_runner=True) as container:
            procs = [
                WorkerProcess(settings, home.parent / f"worker-{i}.log") for i in range(workers)
            ]
            try:
                for proc in procs:
                    proc.wait_started()
                yield container
            finally:
                for proc in procs:
                    proc.stop()
