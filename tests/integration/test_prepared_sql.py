"""Prepared statements (storage/prepared.py) run on the driver (storage/sql.py): the same
values as SQLAlchemy writes and reads, one transaction with a joined session, nothing
half-written on an error, SQLAlchemy's own error classes. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from reelforge.storage.db import Database
from reelforge.storage.prepared import Prepared, inserting
from reelforge.storage.tables import UTCDateTime
from tests.helpers import LoopTicks, hold_sqlite_lock

META = MetaData()
THINGS = Table(
    "prepared_things",
    META,
    Column("id", String(20), primary_key=True),
    Column("n", Integer, nullable=True),
    Column("ratio", Float, nullable=True),
    Column("flag", Boolean, nullable=True),
    Column("doc", JSON, nullable=True),
    Column("at", UTCDateTime(), nullable=True),
)
COLUMNS = ("id", "n", "ratio", "flag", "doc", "at")
INSERT = inserting(THINGS, COLUMNS)
BY_ID = Prepared(select(THINGS).where(THINGS.c.id == bindparam("_id")))
BUMP = Prepared(
    update(THINGS)
    .where(THINGS.c.id == bindparam("_id"), THINGS.c.n.in_([literal(1), literal(2)]))
    .values(n=THINGS.c.n + 10)
    .returning(THINGS.c.id, THINGS.c.n, THINGS.c.at)
)

ROWS: list[dict[str, Any]] = [
    {
        "id": "full",
        "n": 1,
        "ratio": 0.25,
        "flag": True,
        "doc": {"a": [1, 2, {"b": None}], "text": "é ✓"},
        "at": datetime(2026, 12, 4, 15, 30, 1, 123456, tzinfo=UTC),
    },
    {"id": "empty", "n": None, "ratio": None, "flag": False, "doc": None, "at": None},
    {
        "id": "zoned",
        "n": 2,
        "ratio": -1.5,
        "flag": None,
        "doc": [],
        "at": datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
    },
]


@pytest.fixture
async def db(any_db_url: str) -> AsyncIterator[Database]:
    database = Database(any_db_url)
    async with database.engine.begin() as conn:
        await conn.run_sync(META.create_all)
    yield database
    async with database.engine.begin() as conn:
        await conn.run_sync(META.drop_all)
    await database.dispose()


async def orm_rows(db: Database) -> dict[str, dict[str, Any]]:
    async with db.session() as s:
        result = await s.execute(select(THINGS).order_by(THINGS.c.id))
        return {r.id: dict(r._mapping) for r in result}


def expected(row: dict[str, Any]) -> dict[str, Any]:
    at = row["at"]
    return {**row, "at": at.astimezone(UTC) if at is not None else None}


async def test_values_written_raw_read_back_as_sqlalchemy_reads_them(db: Database) -> None:
    async with db.write() as tx:
        await tx.executemany(INSERT, ROWS)
    by_sqlalchemy = await orm_rows(db)
    assert by_sqlalchemy == {r["id"]: expected(r) for r in ROWS}
    async with db.read() as sql:
        raw = {r["id"]: await sql.fetchone(BY_ID, {"_id": r["id"]}) for r in ROWS}
        assert await sql.fetchone(BY_ID, {"_id": "nobody"}) is None
    assert raw == by_sqlalchemy


async def test_values_written_by_sqlalchemy_read_raw_the_same(db: Database) -> None:
    async with db.transaction() as s:
        await s.execute(insert(THINGS), ROWS)
    async with db.read() as sql:
        raw = {r["id"]: await sql.fetchone(BY_ID, {"_id": r["id"]}) for r in ROWS}
    assert raw == {r["id"]: expected(r) for r in ROWS}


async def test_counts_and_returning(db: Database) -> None:
    async with db.write() as tx:
        await tx.executemany(INSERT, ROWS)
    async with db.write() as tx:
        bumped = await tx.fetchone(BUMP, {"_id": "full"})
        missed = await tx.execute(BUMP, {"_id": "empty"})  # n is NULL: not 1 or 2
    assert bumped == {"id": "full", "n": 11, "at": expected(ROWS[0])["at"]}
    assert missed == 0
    assert (await orm_rows(db))["full"]["n"] == 11


async def test_an_error_rolls_back_everything_the_transaction_wrote(db: Database) -> None:
    with pytest.raises(RuntimeError, match="refused"):
        async with db.write() as tx:
            await tx.execute(INSERT, ROWS[0])
            session = await tx.session()
            await session.execute(insert(THINGS).values(**ROWS[1]))
            raise RuntimeError("refused")
    assert await orm_rows(db) == {}
    # A duplicate key is SQLAlchemy's IntegrityError, and rolls its transaction back too.
    with pytest.raises(IntegrityError):
        async with db.write() as tx:
            await tx.execute(INSERT, ROWS[1])
            await tx.execute(INSERT, ROWS[1])
    assert await orm_rows(db) == {}


async def test_a_joined_session_commits_with_the_transaction(db: Database) -> None:
    async with db.write() as tx:
        await tx.execute(INSERT, ROWS[0])
        session = await tx.session()
        await session.execute(insert(THINGS).values(**ROWS[1]))
        assert await tx.session() is session  # one session per transaction
        # The raw statements see what the session wrote: one transaction.
        assert (await tx.fetchone(BY_ID, {"_id": "empty"})) is not None
    assert set(await orm_rows(db)) == {"full", "empty"}


def test_an_expanding_parameter_is_refused_with_the_way_out() -> None:
    stmt = Prepared(select(THINGS).where(THINGS.c.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="literal"):
        stmt.compiled(sqlite.dialect())


async def test_a_raw_write_waits_for_another_process_off_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.engine.begin() as conn:
        await conn.run_sync(META.create_all)
    holder = await hold_sqlite_lock(str(path), 0.5)
    async with LoopTicks() as ticks, db.write() as tx:
        await tx.execute(INSERT, ROWS[0])
    await holder.wait()
    assert ticks.count >= 10  # the loop served others while the write waited
    assert set(await orm_rows(db)) == {"full"}
    await db.dispose()


async def test_a_raw_write_refused_past_the_deadline_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reelforge.storage import sqlite_inline

    monkeypatch.setattr(sqlite_inline, "BUSY_DEADLINE_SECONDS", 0.2)
    path = tmp_path / "late.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.engine.begin() as conn:
        await conn.run_sync(META.create_all)
    holder = await hold_sqlite_lock(str(path), 1.0)
    with pytest.raises(OperationalError, match="locked"):
        async with db.write() as tx:
            await tx.execute(INSERT, ROWS[0])
    await holder.wait()
    async with db.write() as tx:  # and the writer is healthy afterwards
        await tx.execute(INSERT, ROWS[1])
    assert set(await orm_rows(db)) == {"empty"}
    await db.dispose()


async def test_a_joined_session_left_unused_still_commits_the_transaction(db: Database) -> None:
    async with db.write() as tx:
        await tx.session()  # asked for, never used: commits nothing by itself
        await tx.execute(INSERT, ROWS[0])
    async with db.write() as tx:  # the writer is not left inside the first transaction
        await tx.execute(INSERT, ROWS[1])
    assert set(await orm_rows(db)) == {"full", "empty"}
