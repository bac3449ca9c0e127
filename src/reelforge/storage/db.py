"""The database: async SQLAlchemy engine and sessions, SQLite (WAL) or PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from reelforge.storage import sqlite_inline


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside one writer; foreign keys are off by default in SQLite.
    # Waiting for another process's write lock is done by the inline driver, off the loop
    # (busy_timeout stays 0: SQLite's own busy handler would sleep on the event loop).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


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
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


_BEGIN_IMMEDIATE = text("BEGIN IMMEDIATE")


class Database:
    """Owns the engine and hands out sessions; one per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer. Queueing this process's write transactions here, instead of
        # letting their connections collide in SQLite's busy handler (which sleeps in
        # growing steps), keeps writes back to back. Write transactions must not nest.
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None

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
        async with self._write_lock, self.sessionmaker() as session, session.begin():
            # Take SQLite's write lock first: another process holding it is waited for
            # here (asynchronously, before anything is done), never halfway through.
            await session.execute(_BEGIN_IMMEDIATE)
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
