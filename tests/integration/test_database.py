"""Migrations on SQLite and on the machine's PostgreSQL (a database per test run)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from reelforge.domain.identity import Role
from reelforge.storage import identity, migrate
from reelforge.storage.db import Database

PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    name = f"rf_test_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a clear failure, never a silent skip
        await admin.dispose()
        pytest.fail(
            f"PostgreSQL on 127.0.0.1:5432 is not usable ({exc!r}); run scripts/services.sh"
        )
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _exercise(url: str) -> None:
    await migrate.upgrade(url)
    db = Database(url)
    try:
        assert await migrate.current_revision(db.engine) == migrate.head_revision()
        async with db.transaction() as s:
            user = await identity.create_user(s, "u", Role.MEMBER)
            _row, key = await identity.create_api_key(s, user.id)
        async with db.session() as s:
            principal = await identity.authenticate(s, key)
        assert principal.user_id == user.id and principal.role is Role.MEMBER
        # Foreign keys are enforced on both backends.
        with pytest.raises(IntegrityError):
            async with db.transaction() as s:
                await identity.create_api_key(s, "usr_missing")
    finally:
        await db.dispose()
    await migrate.upgrade(url)  # idempotent


async def test_sqlite_migrations(tmp_path: Path) -> None:
    await _exercise(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")


@pytest.mark.postgres
async def test_postgres_migrations(pg_url: str) -> None:
    await _exercise(pg_url)


def test_metadata_matches_migrations(tmp_path: Path) -> None:
    """Autogenerate finds nothing to add: every table change has its migration."""
    import asyncio

    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from reelforge.storage.schema import metadata

    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite'}"
    asyncio.run(migrate.upgrade(url))

    async def diff() -> list[object]:
        db = Database(url)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c), metadata)
                )
        finally:
            await db.dispose()

    assert asyncio.run(diff()) == []
