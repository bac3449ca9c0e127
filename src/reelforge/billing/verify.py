"""The data-side check of the ledger's invariants, runnable any time (tests, admin API).

It rebuilds every balance from the entries and compares it with the cached one, and
checks that every transaction sums to zero (so all balances sum to zero), that no account that may not go negative
is negative, and that each hold account matches its hold: zero once released, the
hold's remainder while active.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing.wallets import ACTIVE
from reelforge.storage.ledger_tables import AccountRow, EntryRow, HoldRow, TransactionRow


@dataclass
class LedgerReport:
    transactions: int = 0
    accounts: int = 0
    unbalanced_transactions: list[dict[str, object]] = field(default_factory=list)
    balance_mismatches: list[dict[str, object]] = field(default_factory=list)
    negative_accounts: list[dict[str, object]] = field(default_factory=list)
    hold_mismatches: list[dict[str, object]] = field(default_factory=list)
    total_micros: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.unbalanced_transactions
            or self.balance_mismatches
            or self.negative_accounts
            or self.hold_mismatches
            or self.total_micros
        )


async def verify_balances(session: AsyncSession) -> LedgerReport:
    report = LedgerReport()
    report.transactions = int(
        (await session.execute(select(func.count()).select_from(TransactionRow))).scalar_one()
    )
    sums = await session.execute(
        select(EntryRow.transaction_id, func.sum(EntryRow.amount_micros))
        .group_by(EntryRow.transaction_id)
        .having(func.sum(EntryRow.amount_micros) != 0)
    )
    report.unbalanced_transactions = [{"transaction_id": t, "sum_micros": int(s)} for t, s in sums]
    derived = (
        select(EntryRow.account_id, func.sum(EntryRow.amount_micros).label("total"))
        .group_by(EntryRow.account_id)
        .subquery()
    )
    accounts = await session.execute(
        select(
            AccountRow.id,
            AccountRow.code,
            AccountRow.allow_negative,
            AccountRow.cached,
            AccountRow.balance_micros,
            func.coalesce(derived.c.total, 0),
        ).outerjoin(derived, derived.c.account_id == AccountRow.id)
    )
    by_id: dict[str, int] = {}
    for acc_id, code, allow_negative, keeps_balance, cached, rebuilt in accounts:
        report.accounts += 1
        cached, rebuilt = int(cached), int(rebuilt)
        by_id[acc_id] = rebuilt
        report.total_micros += rebuilt
        if cached != (rebuilt if keeps_balance else 0):
            report.balance_mismatches.append(
                {"account": code, "cached_micros": cached, "entries_micros": rebuilt}
            )
        if not allow_negative and min(cached, rebuilt) < 0:
            report.negative_accounts.append({"account": code, "balance_micros": rebuilt})
    holds = await session.execute(select(HoldRow).execution_options(populate_existing=True))
    for hold in holds.scalars():
        expected = (
            hold.alloc_remaining_micros + hold.topup_remaining_micros
            if hold.status == ACTIVE
            else 0
        )
        if hold.status != ACTIVE and (hold.alloc_remaining_micros or hold.topup_remaining_micros):
            expected = -1  # a released hold with a remainder is wrong whatever the account says
        actual = by_id.get(hold.account_id, 0)
        if actual != expected:
            report.hold_mismatches.append(
                {
                    "run_id": hold.run_id,
                    "status": hold.status,
                    "account_micros": actual,
                    "hold_remaining_micros": hold.alloc_remaining_micros
                    + hold.topup_remaining_micros,
                }
            )
    return report
