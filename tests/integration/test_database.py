"""Migrations on SQLite and on the machine's PostgreSQL (a database per test run)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from reelforge.domain.identity import Role
from reelforge.storage import identity, migrate
from reelforge.storage.db import Database


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

    import reelforge.apps.assets.tables  # noqa: F401  (product tables share the history)
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
