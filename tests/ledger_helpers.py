"""Helpers for the ledger tests: a migrated database with users, balances at a glance."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from reelforge import billing
from reelforge.billing import ledger
from reelforge.domain.identity import Role
from reelforge.storage import identity, migrate
from reelforge.storage.db import Database
from reelforge.storage.ledger_tables import AccountRow

FREE_ALLOCATION = 1_000_000  # the built-in Free plan: $1.00 a month
T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@asynccontextmanager
async def ledger_db(url: str) -> AsyncIterator[Database]:
    await migrate.upgrade(url)
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()


async def new_user(db: Database, name: str = "u", role: Role = Role.MEMBER) -> str:
    async with db.transaction() as s:
        return (await identity.create_user(s, name, role)).id


@dataclass(frozen=True)
class Snapshot:
    allocation: int
    topup: int
    held: int

    @property
    def total(self) -> int:
        return self.allocation + self.topup + self.held


async def snapshot(db: Database, user_id: str) -> Snapshot:
    async with db.session() as s:
        state = await billing.wallet_state(s, user_id)
    return Snapshot(state.allocation_micros, state.topup_micros, state.held_micros)


async def account_balance(db: Database, code: str) -> int:
    """Any account's balance, cached or summed (platform accounts keep none)."""
    async with db.session() as s:
        row = (
            await s.execute(
                select(AccountRow.id, AccountRow.code, AccountRow.kind, AccountRow.cached).where(
                    AccountRow.code == code
                )
            )
        ).first()
        if row is None:
            return 0
        return await ledger.balance_of(s, ledger.Account(row.id, row.code, row.kind, row.cached))


async def assert_ledger_ok(db: Database) -> billing.LedgerReport:
    async with db.session() as s:
        report = await billing.verify_balances(s)
    assert report.ok, report
    return report
