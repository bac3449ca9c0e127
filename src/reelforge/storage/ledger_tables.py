"""The credit ledger: plans, wallets, accounts, transactions, entries and run holds.

The rules these tables carry are explained in ``reelforge.billing.ledger``. What the
database itself guarantees: one transaction per idempotency key, no negative balance on
an account that may not go negative, no negative hold remainder, no zero entry.
Owner ids are plain columns, not foreign keys, on the money tables on purpose: ledger
history must outlive whatever happens to a user row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid); BIGINT elsewhere.
EntryId = BigInteger().with_variant(Integer(), "sqlite")


class PlanRow(Base):
    """A billing plan (Free / Pro / Studio ...), synced from the plans file at start."""

    __tablename__ = "billing_plans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    monthly_allocation_micros: Mapped[int] = mapped_column(BigInteger)
    rate_limit_multiplier: Mapped[float] = mapped_column(Float)
    max_workspaces: Mapped[int] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WalletRow(Base):
    """A user's plan and current period. Its row is the user's money lock: every
    operation that moves the user's credits bumps ``revision`` first (see billing.wallets)."""

    __tablename__ = "billing_wallets"

    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("billing_plans.id"))
    # Periods are whole months counted from the anchor (so Jan 31 → Feb 28 → Mar 31).
    anchor_at: Mapped[datetime] = mapped_column(UTCDateTime())
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AccountRow(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (CheckConstraint("allow_negative OR balance_micros >= 0", name="balance"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Stable name such as ``user:<id>:topup`` or ``hold:<run id>``.
    code: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    owner_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    allow_negative: Mapped[bool] = mapped_column(Boolean)
    # Whether balance_micros is kept. Platform and external accounts are touched by every
    # user's transactions; caching them would make one row every run waits on, so their
    # balance is summed from the entries when asked (and balance_micros stays 0).
    cached: Mapped[bool] = mapped_column(Boolean)
    # A cache of SUM(entries.amount_micros); billing.verify rebuilds and compares it.
    balance_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TransactionRow(Base):
    """One balanced movement of money, with who did it, when and why (audit)."""

    __tablename__ = "ledger_transactions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    step_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The headline amount (what was asked), compared when a key is replayed.
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str | None] = mapped_column(String(100), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EntryRow(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (CheckConstraint("amount_micros <> 0", name="nonzero"),)

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    # The account's balance after this entry; None on accounts that keep no balance.
    balance_after_micros: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HoldRow(Base):
    """The hold of one run: how much is reserved and from which sub-account it came."""

    __tablename__ = "ledger_holds"
    __table_args__ = (
        CheckConstraint(
            "alloc_remaining_micros >= 0 AND topup_remaining_micros >= 0", name="remaining"
        ),
    )

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    status: Mapped[str] = mapped_column(String(16))
    # Incremented each time a released hold is placed again (a resumed run).
    generation: Mapped[int] = mapped_column(Integer, default=1)
    held_micros: Mapped[int] = mapped_column(BigInteger)
    alloc_remaining_micros: Mapped[int] = mapped_column(BigInteger)
    topup_remaining_micros: Mapped[int] = mapped_column(BigInteger)
    captured_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    overage_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    released_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    # The plan period the allocation part came from: released after it ended, it expires.
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
