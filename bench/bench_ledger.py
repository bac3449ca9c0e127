"""Ledger throughput: run cycles per second (place_hold, capture, release, each in its own
database transaction, as the engine would do them) and place_hold latency, on SQLite and
on the machine's PostgreSQL; one user (every run waits on the same wallet lock) and one
user per worker (no shared lock)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from reelforge import billing
from reelforge.domain.identity import Role
from reelforge.storage import identity, migrate
from reelforge.storage.db import Database

PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def _cycles(db: Database, users: list[str], workers: int, duration: float) -> dict[str, Any]:
    hold_ms: list[float] = []
    done = 0
    deadline = time.perf_counter() + duration

    async def worker(w: int) -> None:
        nonlocal done
        user = users[w % len(users)]
        i = 0
        while time.perf_counter() < deadline:
            run_id = f"run_{w}_{i}_{uuid.uuid4().hex[:6]}"
            i += 1
            t = time.perf_counter()
            async with db.transaction() as s:
                await billing.place_hold(s, user, run_id, 50_000, f"hold:{run_id}")
            hold_ms.append((time.perf_counter() - t) * 1000)
            async with db.transaction() as s:
                await billing.capture(s, run_id, "s1", 20_000)
            async with db.transaction() as s:
                await billing.release(s, run_id)
            done += 1

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    hold_ms.sort()
    return {
        "run_cycles_per_s": round(done / elapsed, 1),
        "place_hold_p50_ms": round(statistics.median(hold_ms), 2),
        "place_hold_p99_ms": round(hold_ms[int(len(hold_ms) * 0.99) - 1], 2),
        "cycles": done,
        # Client-side CPU (SQLAlchemy, drivers): when it nears elapsed/cycles the
        # benchmark process, not the database, is the bottleneck.
        "client_cpu_ms_per_cycle": round(cpu * 1000 / max(done, 1), 1),
        "elapsed_ms_per_cycle": round(elapsed * 1000 / max(done, 1), 1),
    }


async def _measure(url: str, workers: int, duration: float) -> dict[str, Any]:
    await migrate.upgrade(url)
    db = Database(url)
    try:
        users = []
        async with db.transaction() as s:
            for n in range(workers):
                users.append((await identity.create_user(s, f"b{n}", Role.MEMBER)).id)
        async with db.transaction() as s:
            for user in users:
                await billing.credit_topup(s, user, 10**12, idempotency_key=f"fund:{user}")
        one = await _cycles(db, users[:1], workers, duration)
        many = await _cycles(db, users, workers, duration)
        async with db.session() as s:
            ok = (await billing.verify_balances(s)).ok
    finally:
        await db.dispose()
    return {"one_user": one, "user_per_worker": many, "verify_ok": ok}


async def _postgres(workers: int, duration: float) -> dict[str, Any]:
    name = f"rf_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            return await _measure(
                f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", workers, duration
            )
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except OSError as exc:
        return {"error": f"PostgreSQL not reachable: {exc!r}"}
    finally:
        await admin.dispose()


def run(duration: float = 3.0, workers: int = 8) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = asyncio.run(
            _measure(f"sqlite+aiosqlite:///{Path(tmp) / 'b.db'}", workers, duration)
        )
    return {
        "workers": workers,
        "duration_s_per_case": duration,
        "sqlite": sqlite,
        "postgresql": asyncio.run(_postgres(workers, duration)),
        "note": "each cycle = 3 committed transactions; one process, same host as the database",
    }
