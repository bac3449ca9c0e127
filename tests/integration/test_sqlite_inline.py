"""SQLite without a thread hop: statements run on the event loop, and waiting for another
process's write lock happens off it (storage/sqlite_inline.py, Database.transaction)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from reelforge.storage import sqlite_inline
from reelforge.storage.db import Database
from tests.helpers import LoopTicks, hold_sqlite_lock


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    async with database.transaction() as s:
        await s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    yield database
    await database.dispose()


async def hold_lock(path: str, seconds: float) -> asyncio.subprocess.Process:
    return await hold_sqlite_lock(path, seconds, "INSERT INTO t(v) VALUES ('other process')")


async def values(db: Database) -> list[str]:
    async with db.session() as s:
        return [r[0] for r in (await s.execute(text("SELECT v FROM t ORDER BY id"))).all()]


async def test_a_write_waits_for_another_process_while_the_loop_keeps_serving(
    db: Database, tmp_path: Path
) -> None:
    holder = await hold_lock(str(tmp_path / "x.db"), 0.6)
    async with LoopTicks() as ticks, db.transaction() as s:
        await s.execute(text("INSERT INTO t(v) VALUES ('here')"))
    await holder.wait()
    # The loop ran other work while the write waited (a blocking wait would allow ~0 ticks).
    assert ticks.count >= 10
    assert await values(db) == ["other process", "here"]


async def test_reads_are_not_held_up_by_another_process_writing(
    db: Database, tmp_path: Path
) -> None:
    holder = await hold_lock(str(tmp_path / "x.db"), 0.5)
    assert await values(db) == []  # WAL: the uncommitted row is invisible, nothing waits
    await holder.wait()
    assert await values(db) == ["other process"]


async def test_a_lock_held_past_the_deadline_fails_cleanly(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_DEADLINE_SECONDS", 0.2)
    holder = await hold_lock(str(tmp_path / "x.db"), 1.5)
    with pytest.raises(OperationalError, match="locked"):
        async with db.transaction() as s:
            await s.execute(text("INSERT INTO t(v) VALUES ('too late')"))
    await holder.wait()
    assert await values(db) == ["other process"]  # nothing half-written
    async with db.transaction() as s:  # and the pool is healthy afterwards
        await s.execute(text("INSERT INTO t(v) VALUES ('after')"))
    assert await values(db) == ["other process", "after"]


async def test_concurrent_writers_in_one_process_all_land(db: Database) -> None:
    async with db.transaction() as s:
        await s.execute(text("CREATE TABLE n (k INTEGER)"))
        await s.execute(text("INSERT INTO n VALUES (0)"))

    async def bump() -> None:
        async with db.transaction() as s:
            k = (await s.execute(text("SELECT k FROM n"))).scalar_one()
            await asyncio.sleep(0)  # let others try to interleave
            await s.execute(text("UPDATE n SET k = :k"), {"k": k + 1})

    await asyncio.gather(*(bump() for _ in range(50)))
    async with db.session() as s:
        assert (await s.execute(text("SELECT k FROM n"))).scalar_one() == 50


def test_an_in_memory_database_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="SQLite file"):
        Database("sqlite+aiosqlite:///:memory:")
