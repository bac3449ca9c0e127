"""Small write transactions share commits (storage/group_commit.py): work arriving together
goes in one transaction; one failing piece fails only itself; nothing half-written lands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from reelforge.storage.db import Database
from reelforge.storage.group_commit import GroupCommit
from reelforge.storage.prepared import Prepared
from reelforge.storage.sql import Tx


@pytest.fixture
async def db(any_db_url: str) -> AsyncIterator[Database]:
    database = Database(any_db_url)
    async with database.transaction() as s:
        await s.execute(text("CREATE TABLE marks (name VARCHAR(20) PRIMARY KEY, n INTEGER)"))
    yield database
    await database.dispose()


INSERT = Prepared(text("INSERT INTO marks (name, n) VALUES (:name, :n)"))
HALF = Prepared(text("INSERT INTO marks (name, n) VALUES ('half', 1)"))


def insert(name: str, n: int = 1) -> Callable[[Tx], Awaitable[str]]:
    async def work(tx: Tx) -> str:
        await tx.execute(INSERT, {"name": name, "n": n})
        return name.upper()

    return work


async def names(db: Database) -> set[str]:
    async with db.session() as s:
        return {r[0] for r in (await s.execute(text("SELECT name FROM marks"))).all()}


async def test_work_arriving_together_shares_commits(db: Database) -> None:
    writes = GroupCommit(db)
    results = await asyncio.gather(*(writes.run(insert(f"m{i}")) for i in range(60)))
    assert results == [f"M{i}" for i in range(60)]
    assert await names(db) == {f"m{i}" for i in range(60)}
    assert 1 <= writes.batches < 60  # the first alone, then the rest together


async def test_alone_a_piece_is_written_at_once(db: Database) -> None:
    writes = GroupCommit(db)
    for i in range(3):
        assert await writes.run(insert(f"one{i}")) == f"ONE{i}"
    assert writes.batches == 3


async def test_one_failing_piece_fails_only_itself(db: Database) -> None:
    writes = GroupCommit(db)

    async def half_then_fail(tx: Tx) -> None:
        await tx.execute(HALF)
        raise RuntimeError("refused")

    calls = [writes.run(insert(f"ok{i}")) for i in range(10)]
    calls.insert(5, writes.run(half_then_fail))
    calls.append(writes.run(insert("ok3")))  # a duplicate key: its own IntegrityError
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(outcomes[5], RuntimeError)
    assert type(outcomes[-1]).__name__ == "IntegrityError"
    good = [o for i, o in enumerate(outcomes) if i not in (5, len(outcomes) - 1)]
    assert good == [f"OK{i}" for i in range(10)]
    # The failing piece's own insert was rolled back; every neighbour landed once.
    assert await names(db) == {f"ok{i}" for i in range(10)}


async def test_no_database_fails_every_waiting_caller(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    writes = GroupCommit(db)
    outcomes = await asyncio.gather(
        *(writes.run(insert(f"x{i}")) for i in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(o, Exception) for o in outcomes), outcomes
    await db.dispose()
