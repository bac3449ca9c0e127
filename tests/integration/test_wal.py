"""WAL checkpoints are made off the event loop (storage/wal.py): commits never checkpoint
themselves, a task of the writing process does it in a thread, and stopping it while a
checkpoint is under way is safe."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Integer, column, text

from reelforge.storage.db import Database
from reelforge.storage.prepared import Prepared
from reelforge.storage.wal import Checkpointer

INSERT = Prepared(text("INSERT INTO t (v) VALUES (:v)"))


async def test_commits_leave_checkpoints_to_the_checkpointer(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    db.checkpointer.every = 3600.0  # not now: the log must grow untouched first
    async with db.transaction() as s:
        await s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    for i in range(1200):  # past SQLite's 1,000-page automatic checkpoint
        async with db.write() as tx:
            await tx.execute(INSERT, {"v": "x" * 3000 + str(i)})
    # Still all in the log (by default SQLite copies it back every 1,000 pages, inside
    # whichever commit crosses the line), nothing yet in the database file itself.
    wal = path.with_name("w.db-wal")
    assert wal.stat().st_size > 3000 * 4096 and path.stat().st_size < 100 * 4096
    await db.checkpointer.stop()
    db.checkpointer.every = 0.05
    db.checkpointer.start()
    for _ in range(100):
        await asyncio.sleep(0.05)
        if db.checkpointer.checkpoints:
            break
    assert db.checkpointer.checkpoints >= 1
    assert path.stat().st_size > 1200 * 3000  # copied back, by the checkpointer's thread
    await db.dispose()


async def test_stopping_while_checkpointing_is_safe(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.transaction() as s:
        await s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    for round_ in range(30):
        checkpointer = Checkpointer(str(path), every=0.0)
        checkpointer.start()
        async with db.write() as tx:
            await tx.execute(INSERT, {"v": str(round_)})
        await asyncio.sleep(0.001 * (round_ % 5))
        await checkpointer.stop()  # the connection closes after a checkpoint under way
    async with db.read() as sql:
        rows = await sql.fetch(
            Prepared(text("SELECT count(*) AS n FROM t").columns(column("n", Integer)))
        )
    assert rows == [{"n": 30}]
    await db.dispose()
