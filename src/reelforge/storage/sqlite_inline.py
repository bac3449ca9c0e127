"""SQLite for asyncio without a thread hop per statement.

SQLite is a library, not a server: a statement on a WAL database costs ~20 µs, while
aiosqlite hands every call to a helper thread and back (~300 µs here, and one hop per
statement, begin and commit). This connection runs each call on the event loop itself and
keeps the one thing that can take long off it: waiting for another process's write lock.
SQLite's own busy handler (which would sleep on the loop) is off; a statement answered
SQLITE_BUSY is retried after an ``asyncio.sleep`` with backoff, so the loop serves others
meanwhile. Writers take the lock first (``BEGIN IMMEDIATE``, see ``Database.transaction``),
so a busy answer always comes before anything was done and the retry is safe.

It speaks the subset of aiosqlite's interface that SQLAlchemy's ``sqlite+aiosqlite``
dialect uses, and is plugged in through ``create_async_engine(async_creator=...)``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any

BUSY_DEADLINE_SECONDS = 30.0
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
# A deferred reader that tries to write after another process committed: retrying the
# statement cannot help (its snapshot is stale); the caller's transaction must start over.
_BUSY_SNAPSHOT = 517


def is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code == _BUSY_SNAPSHOT:
        return False
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    return "locked" in str(exc) or "busy" in str(exc)


async def retry_busy(call: Callable[[], Any]) -> Any:
    delay = 0.0005
    deadline = time.monotonic() + BUSY_DEADLINE_SECONDS
    while True:
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await retry_busy(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> InlineCursor:
        rows = list(seq_of_parameters)
        await retry_busy(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _CursorContext:
    """What ``connection.cursor()`` returns: SQLAlchemy enters it to get the cursor."""

    def __init__(self, cursor: InlineCursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()

    def __await__(self) -> Any:
        return self.__aenter__().__await__()


class _ImmediateQueue:
    """SQLAlchemy sets ``isolation_level`` by queueing a function on aiosqlite's thread
    queue; here the function runs at once and its future is resolved."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection, *, owned: bool = True) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._owned = owned  # not owned: closing this wrapper leaves the connection open
        self._tx = _ImmediateQueue()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    def cursor(self) -> _CursorContext:
        return _CursorContext(InlineCursor(self._conn.cursor()))

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await InlineCursor(self._conn.cursor()).execute(sql, parameters)

    async def commit(self) -> None:
        await retry_busy(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            if self._owned:
                self._connection.close()
            self._connection = None

    async def create_function(
        self, name: str, num_params: int, func: Callable[..., Any], *, deterministic: bool = False
    ) -> None:
        self._conn.create_function(name, num_params, func, deterministic=deterministic)

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._conn.isolation_level = value


# Set on every connection: WAL lets readers run beside one writer (and lasts in the file);
# NORMAL syncs at checkpoints, not at every commit (a crash of the process loses nothing,
# a power cut may lose the last commits); checkpoints are made off the loop (storage.wal),
# and the log is cut back to 64 MB after one; foreign keys are off by default in SQLite.
# Waiting for another process's write lock is done here, off the loop (busy_timeout 0:
# SQLite's own busy handler would sleep on the event loop).
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA wal_autocheckpoint=0",
    "PRAGMA journal_size_limit=67108864",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=0",
)


def casefold(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    """``rf_casefold(text)`` in SQL: Unicode case folding for text search, since SQLite's
    own ``lower()`` folds only ASCII letters (PostgreSQL's ``ILIKE`` folds them all)."""
    return value.casefold() if isinstance(value, str) else value


def open_raw(path: str) -> sqlite3.Connection:
    """A SQLite connection as ReelForge uses them (legacy DEFERRED transactions: writers
    start theirs with ``BEGIN IMMEDIATE`` themselves)."""
    # check_same_thread off: the pool may hand a connection to another loop's thread at
    # shutdown (garbage collection); every use is on one loop at a time.
    conn = sqlite3.connect(path, timeout=0, isolation_level="DEFERRED", check_same_thread=False)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.create_function("rf_casefold", 1, casefold, deterministic=True)
    return conn


def connector(path: str) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: opens ``path`` inline."""

    async def connect() -> InlineConnection:
        return InlineConnection(open_raw(path))

    return connect
