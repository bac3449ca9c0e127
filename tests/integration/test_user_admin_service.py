"""The user service without HTTP, as products use it (agents with keys), and migration
0008_user_admin, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from sqlalchemy import text

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal, Role, Scope
from reelforge.engine.users import UserAdmin
from reelforge.storage import identity, migrate
from reelforge.storage.db import Database


async def test_a_product_makes_an_agent_with_a_scoped_key(any_db_url: str) -> None:
    await migrate.upgrade(any_db_url)
    db = Database(any_db_url)
    try:
        async with db.transaction() as s:
            owner = await identity.create_user(s, "owner", Role.OWNER)
        actor = Principal(user_id=owner.id, role=Role.OWNER, api_key_id="")
        admin = UserAdmin(db)
        agent = await admin.create(actor, name="market-agent", role=Role.AGENT, plan_id="studio")
        assert (agent.user.role, agent.plan_id) == ("agent", "studio")
        row, plain = await admin.create_key(
            actor, agent.user.id, label="orders", scopes=frozenset({Scope.GENERATE})
        )
        async with db.session() as s:
            principal = await identity.authenticate(s, plain)
        assert principal.user_id == agent.user.id and principal.role is Role.AGENT
        assert principal.scopes == {Scope.GENERATE} and principal.allows(Scope.READ)
        assert not principal.allows(Scope.ADMIN)
        assert principal.rate_multiplier == 10.0  # the Studio plan's
        # Another owner cannot be made, whichever way it is asked for.
        with pytest.raises(ReelForgeError) as exc:
            await admin.create(actor, name="second", role=Role.OWNER)
        assert exc.value.code is ErrorCode.VALIDATION_ERROR
        with pytest.raises(ReelForgeError) as exc:
            async with db.transaction() as s:
                await identity.create_user(s, "second", Role.OWNER)
        assert exc.value.code is ErrorCode.CONFLICT
        done = await admin.deactivate(actor, agent.user.id)
        assert done.revoked_keys == 1 and done.user.user.deactivated_at is not None
        with pytest.raises(ReelForgeError) as exc:
            async with db.session() as s:
                await identity.authenticate(s, plain)
        assert exc.value.code is ErrorCode.AUTH_FAILED and "revoked" in exc.value.message
        assert row.id in [k.id for k in await admin.list_keys(actor, agent.user.id)]
    finally:
        await db.dispose()


async def test_migration_0008_keeps_users_and_keys(any_db_url: str) -> None:
    await migrate.upgrade(any_db_url, "0007_run_hold")
    db = Database(any_db_url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, name, email, role, created_at) VALUES "
                    "('usr_a', 'A', 'Ann@Example.COM', 'owner', '2026-01-01 00:00:00')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO api_keys (id, owner_id, label, prefix, key_hash, created_at) "
                    "VALUES ('key_a', 'usr_a', 'old', 'rf_abcdefg', :h, '2026-01-01 00:00:00')"
                ),
                {"h": identity.hash_key("rf_old-key")},
            )
        await migrate.upgrade(any_db_url, "0008_user_admin")
        assert await migrate.current_revision(db.engine) == "0008_user_admin"
        async with db.session() as s:
            principal = await identity.authenticate(s, "rf_old-key")
            user = await identity.require_user(s, "usr_a")
        assert principal.scopes is None and principal.expires_at is None  # as before
        assert user.email == "ann@example.com" and user.deactivated_at is None
        await asyncio.to_thread(
            command.downgrade, migrate.alembic_config(any_db_url), "0007_run_hold"
        )
        assert await migrate.current_revision(db.engine) == "0007_run_hold"
        await migrate.upgrade(any_db_url)
    finally:
        await db.dispose()
