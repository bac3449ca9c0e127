"""Reading a user's side of the ledger: entries (newest first, by cursor) and holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.storage.ledger_tables import AccountRow, EntryRow, HoldRow, TransactionRow

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class EntryView:
    id: int
    transaction_id: str
    kind: str
    account: str  # "allocation" | "topup" | "hold"
    amount_micros: int
    balance_after_micros: int | None
    run_id: str | None
    step_id: str | None
    reason: str | None
    actor_id: str | None
    source: str | None
    created_at: datetime


async def list_entries(
    session: AsyncSession,
    owner_id: str,
    *,
    run_id: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> tuple[list[EntryView], int | None]:
    """One page of the user's entries, newest first; the cursor of the next page or None."""
    limit = max(1, min(limit, MAX_PAGE))
    stmt = (
        select(EntryRow, AccountRow.kind, TransactionRow)
        .join(AccountRow, AccountRow.id == EntryRow.account_id)
        .join(TransactionRow, TransactionRow.id == EntryRow.transaction_id)
        .where(AccountRow.owner_id == owner_id)
        .order_by(EntryRow.id.desc())
        .limit(limit + 1)
    )
    if run_id is not None:
        stmt = stmt.where(TransactionRow.run_id == run_id)
    if cursor is not None:
        stmt = stmt.where(EntryRow.id < cursor)
    rows = (await session.execute(stmt)).all()
    views = [
        EntryView(
            id=entry.id,
            transaction_id=txn.id,
            kind=txn.kind,
            account=kind,
            amount_micros=entry.amount_micros,
            balance_after_micros=entry.balance_after_micros,
            run_id=txn.run_id,
            step_id=txn.step_id,
            reason=txn.reason,
            actor_id=txn.actor_id,
            source=txn.source,
            created_at=entry.created_at,
        )
        for entry, kind, txn in rows[:limit]
    ]
    next_cursor = views[-1].id if len(rows) > limit else None
    return views, next_cursor


async def list_holds(
    session: AsyncSession, owner_id: str, *, active_only: bool = True
) -> list[HoldRow]:
    stmt = select(HoldRow).where(HoldRow.owner_id == owner_id).order_by(HoldRow.created_at)
    if active_only:
        stmt = stmt.where(HoldRow.status == "active")
    return list((await session.execute(stmt)).scalars())
