"""Running prepared statements: a read (``Reader``) or a write transaction (``Tx``).

``Database.read()`` and ``Database.write()`` hand these out. On SQLite they run on the
driver's connection itself (``storage.prepared``): SQLite is a library in this process,
and SQLAlchemy's work around a statement costs several times the statement. On
PostgreSQL, where a statement is a network round trip anyway, the same statements run
through SQLAlchemy Core in an ordinary session. Either way the caller sees one interface,
and code that needs the ORM or the ledger's SQLAlchemy functions inside the same
transaction asks the ``Tx`` for its ``session()``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.storage.prepared import Prepared
from reelforge.storage.sqlite_inline import is_busy, retry_busy

T = TypeVar("T")
Params = Mapping[str, Any]
_NONE: Params = {}


def detached(cls: type[T], values: Mapping[str, Any]) -> T:
    """A mapped object (``StepRow`` ...) holding a row read with prepared statements.

    Made without the ORM's per-attribute bookkeeping (30 µs for a step's 31 columns, this
    way 2 µs): it belongs to no session, and is read and changed like any object."""
    obj: T = cls.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    obj.__dict__.update(values)
    return obj


def wrap_sqlite_error(sql: str, exc: sqlite3.Error) -> StatementError:
    """The driver's error as SQLAlchemy raises it (``IntegrityError`` for a duplicate key,
    ``OperationalError`` for a lock held too long ...), parameters left out of it."""
    return DBAPIError.instance(sql, None, exc, sqlite3.Error, hide_parameters=True)


class Reader(Protocol):
    async def fetch(self, stmt: Prepared, params: Params = _NONE) -> list[dict[str, Any]]: ...

    async def fetchone(self, stmt: Prepared, params: Params = _NONE) -> dict[str, Any] | None: ...


class Tx(Reader, Protocol):
    """One write transaction: committed when its block ends, rolled back on an error."""

    async def execute(self, stmt: Prepared, params: Params = _NONE) -> int:
        """Run a statement; returns the number of rows it changed."""

    async def executemany(self, stmt: Prepared, rows: Sequence[Params]) -> None: ...

    async def session(self) -> AsyncSession:
        """A session inside this same transaction (made on first use)."""


class SqliteReader:
    """Statements on a raw SQLite connection; busy answers are waited out off the loop."""

    def __init__(self, conn: sqlite3.Connection, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect

    async def _cursor(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, args)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise wrap_sqlite_error(sql, exc) from exc
        except sqlite3.Error as exc:
            raise wrap_sqlite_error(sql, exc) from exc
        try:
            result: sqlite3.Cursor = await retry_busy(lambda: self.conn.execute(sql, args))
        except sqlite3.Error as exc:
            raise wrap_sqlite_error(sql, exc) from exc
        return result

    async def fetch(self, stmt: Prepared, params: Params = _NONE) -> list[dict[str, Any]]:
        c = stmt.compiled(self.dialect)
        cursor = await self._cursor(c.sql, c.args(params))
        return [c.row(raw) for raw in cursor.fetchall()]

    async def fetchone(self, stmt: Prepared, params: Params = _NONE) -> dict[str, Any] | None:
        c = stmt.compiled(self.dialect)
        cursor = await self._cursor(c.sql, c.args(params))
        raw = cursor.fetchone()
        cursor.close()  # a RETURNING statement is finished by reading all its rows
        return None if raw is None else c.row(raw)


class SqliteTx(SqliteReader):
    def __init__(
        self,
        conn: sqlite3.Connection,
        dialect: Dialect,
        open_session: Callable[[], AsyncSession],
    ) -> None:
        super().__init__(conn, dialect)
        self._open_session = open_session
        self.joined: AsyncSession | None = None

    async def fetchone(self, stmt: Prepared, params: Params = _NONE) -> dict[str, Any] | None:
        c = stmt.compiled(self.dialect)
        cursor = await self._cursor(c.sql, c.args(params))
        rows = cursor.fetchall()  # all of them: SQLite applies RETURNING writes as it steps
        return c.row(rows[0]) if rows else None

    async def execute(self, stmt: Prepared, params: Params = _NONE) -> int:
        c = stmt.compiled(self.dialect)
        return (await self._cursor(c.sql, c.args(params))).rowcount

    async def executemany(self, stmt: Prepared, rows: Sequence[Params]) -> None:
        if not rows:
            return
        c = stmt.compiled(self.dialect)
        args = [c.args(r) for r in rows]
        try:
            await retry_busy(lambda: self.conn.executemany(c.sql, args))
        except sqlite3.Error as exc:
            raise wrap_sqlite_error(c.sql, exc) from exc

    async def session(self) -> AsyncSession:
        if self.joined is None:
            self.joined = self._open_session()
        return self.joined


class CoreReader:
    """The same statements through SQLAlchemy Core, in a session (PostgreSQL)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def fetch(self, stmt: Prepared, params: Params = _NONE) -> list[dict[str, Any]]:
        conn = await self._session.connection()
        result = await conn.execute(stmt.statement, dict(params))
        return [dict(r._mapping) for r in result]

    async def fetchone(self, stmt: Prepared, params: Params = _NONE) -> dict[str, Any] | None:
        rows = await self.fetch(stmt, params)
        return rows[0] if rows else None


class CoreTx(CoreReader):
    async def execute(self, stmt: Prepared, params: Params = _NONE) -> int:
        conn = await self._session.connection()
        result = await conn.execute(stmt.statement, dict(params))
        return int(getattr(result, "rowcount", 0))

    async def executemany(self, stmt: Prepared, rows: Sequence[Params]) -> None:
        if rows:
            conn = await self._session.connection()
            await conn.execute(stmt.statement, [dict(r) for r in rows])

    async def session(self) -> AsyncSession:
        return self._session
