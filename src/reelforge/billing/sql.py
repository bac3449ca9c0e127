"""The two SQL idioms the ledger needs on both SQLite and PostgreSQL.

``insert_ignore``: INSERT ... ON CONFLICT DO NOTHING, so two sessions creating the same
row (a wallet, an account, a transaction with the same idempotency key) never fail:
on PostgreSQL the second waits for the first to commit and then inserts nothing, on
SQLite the writers are serialized anyway. Nothing is inserted → the caller re-reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def insert_ignore(
    session: AsyncSession, model: Any, values: dict[str, Any], conflict: Sequence[str]
) -> bool:
    """Insert one row unless a row with the same ``conflict`` columns exists; True if inserted."""
    if dialect_name(session) == "postgresql":
        stmt: Any = postgresql.insert(model).values(**values)
    else:
        stmt = sqlite.insert(model).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))
