"""The database: async SQLAlchemy engine and sessions, SQLite (WAL) or PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from reelforge.storage import sqlite_inline
from reelforge.storage.sql import (
    CoreReader,
    CoreTx,
    Reader,
    SqliteReader,
    SqliteTx,
    Tx,
    wrap_sqlite_error,
)
from reelforge.storage.wal import Checkpointer


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:":
            raise ValueError("ReelForge needs a SQLite file, not an in-memory database.")
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["async_creator"] = sqlite_inline.connector(database)
        # An inline connection is a file handle and a page cache, no thread: keep enough
        # that concurrent sessions never open and close connections (and rerun the pragmas).
        kwargs.update(pool_size=32, max_overflow=96)
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    return create_async_engine(url, **kwargs)


_BEGIN_IMMEDIATE = text("BEGIN IMMEDIATE")
MAX_IDLE_READERS = 16  # raw SQLite read connections kept open between reads


class Database:
    """Owns the engine and hands out sessions, reads and write transactions; one per
    process.

    ``session()`` and ``transaction()`` are SQLAlchemy sessions (the ORM, anything).
    ``read()`` and ``write()`` run prepared statements (``storage.sql``): on SQLite on the
    driver's connection itself, which is what the engine's hot path uses.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock: asyncio.Lock | None = None
        if self.is_sqlite:
            # SQLite has one writer, so a process has one write connection: this process's
            # write transactions queue here (write transactions must not nest) instead of
            # colliding in SQLite's busy handler, and writes need no pool. Sessions that
            # write (``transaction()``, ``Tx.session()``) use it through a one-connection
            # engine; reads use the pool, or raw connections of their own.
            self._path = str(make_url(url).database)
            self._write_lock = asyncio.Lock()
            self._writer: sqlite3.Connection | None = None
            self._writer_engine = create_async_engine(
                url, async_creator=self._writer_connection, poolclass=StaticPool, echo=echo
            )
            self._writer_sessions = async_sessionmaker(self._writer_engine, expire_on_commit=False)
            self._readers: list[sqlite3.Connection] = []
            self._dialect = self.engine.dialect
            self.checkpointer = Checkpointer(self._path)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        if self._write_lock is None:
            async with self.sessionmaker() as session, session.begin():
                yield session
            return
        async with self._write_lock:
            await self._open_writer()
            async with self._writer_sessions() as session, session.begin():
                # Take SQLite's write lock first: another process holding it is waited for
                # here (asynchronously, before anything is done), never halfway through.
                await session.execute(_BEGIN_IMMEDIATE)
                yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Reader]:
        """Prepared statements that read, in one snapshot."""
        if not self.is_sqlite:
            async with self.sessionmaker() as session:
                yield CoreReader(session)
            return
        conn = self._readers.pop() if self._readers else sqlite_inline.open_raw(self._path)
        try:
            conn.execute("BEGIN")  # deferred: no lock, one snapshot for every statement
            yield SqliteReader(conn, self._dialect)
        finally:
            conn.rollback()
            if len(self._readers) < MAX_IDLE_READERS:
                self._readers.append(conn)
            else:
                conn.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One write transaction of prepared statements: committed when the block ends,
        rolled back (nothing half-written) when it raises."""
        if self._write_lock is None:
            async with self.sessionmaker() as session, session.begin():
                yield CoreTx(session)
            return
        async with self._write_lock:
            conn = await self._open_writer()
            if conn.in_transaction:  # never expected: start clean rather than inside it
                conn.rollback()
            try:
                await sqlite_inline.retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
            except sqlite3.Error as exc:
                raise wrap_sqlite_error("BEGIN IMMEDIATE", exc) from exc
            tx = SqliteTx(conn, self._dialect, self._writer_sessions)
            try:
                yield tx
                if tx.joined is not None:
                    await tx.joined.commit()  # its flush, then the connection's commit
                # A joined session that never used its connection commits nothing itself.
                if conn.in_transaction:
                    await sqlite_inline.retry_busy(conn.commit)
            except BaseException:
                try:
                    if tx.joined is not None:
                        await tx.joined.rollback()
                finally:
                    if conn.in_transaction:
                        conn.rollback()
                raise
            finally:
                if tx.joined is not None:
                    await tx.joined.close()

    async def _open_writer(self) -> sqlite3.Connection:
        self.checkpointer.start()
        if self._writer is None:
            self._writer = sqlite_inline.open_raw(self._path)
            # Connect the one-connection engine now, outside any transaction (a dialect's
            # first connection runs statements of its own).
            async with self._writer_engine.connect():
                pass
        return self._writer

    async def _writer_connection(self) -> sqlite_inline.InlineConnection:
        if self._writer is None:
            self._writer = sqlite_inline.open_raw(self._path)
        return sqlite_inline.InlineConnection(self._writer, owned=False)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.is_sqlite:
            await self.checkpointer.stop()
            await self._writer_engine.dispose()
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            if self._writer is not None:
                self._writer.close()
                self._writer = None
