"""The tables of the emulators' durable store (see durable.py) and where they live.

They are emulator state, not product tables: prefixed ``emulator_``, created if missing
when a store opens, and never in the Alembic history.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

METADATA = sa.MetaData()
BLOBS = sa.Table(
    "emulator_blobs",
    METADATA,
    sa.Column("sha", sa.String(64), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("used", sa.Double, nullable=False),
)
REQUESTS = sa.Table(
    "emulator_requests",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("created", sa.Double, nullable=False),
)
TASKS = sa.Table(
    "emulator_tasks",
    METADATA,
    sa.Column("emulator", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("request", sa.Integer, nullable=False),
    sa.Column("ordinal", sa.Integer, nullable=False),
    sa.Column("created", sa.Double, nullable=False),
    sa.Column("idem", sa.Text),
    sa.Column("canceled", sa.Double),
    sa.Column("stuck", sa.Boolean, nullable=False, default=False),
    sa.Column("failure", sa.Text),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Index("emulator_tasks_by_request", "request"),
    sa.Index("emulator_tasks_by_idem", "emulator", "idem"),
)
COUNTERS = sa.Table(
    "emulator_counters",
    METADATA,
    sa.Column("emulator", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)
FILES = sa.Table(
    "emulator_files",
    METADATA,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),  # the order made
    sa.Column("emulator", sa.String(64), nullable=False),
    sa.Column("token", sa.Text, nullable=False),
    sa.Column("task", sa.String(200), nullable=False),
    sa.Column("request", sa.Integer, nullable=False),
    sa.UniqueConstraint("emulator", "token", name="emulator_files_token"),
)
LOCK_KEY = 0x5EEDF0E6E  # pg_advisory_xact_lock key while the tables are created

# Async drivers of the deployment database → the sync driver this store uses.
SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def store_url(target: Path | str) -> URL:
    """A SQLite file path, or a database URL (the deployment's async one is accepted)."""
    if isinstance(target, Path) or "://" not in target:
        return URL.create("sqlite", database=str(Path(target).expanduser()))
    url = make_url(target)
    backend = url.get_backend_name()
    if backend not in SYNC_DRIVERS:
        raise ValueError(f"emulator state needs SQLite or PostgreSQL, not {backend}")
    url = url.set(drivername=SYNC_DRIVERS[backend])
    if backend == "postgresql" and "ssl" in url.query:  # asyncpg's name for libpq's sslmode
        query = dict(url.query)
        query["sslmode"] = query.pop("ssl")
        url = url.set(query=query)
    return url


def sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
