"""ledger: plans, wallets, double-entry accounts, transactions, entries, run holds

Revision ID: 0005_ledger
Revises: 0004_runs
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0005_ledger"
down_revision: str | None = "0004_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRY_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "billing_plans",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("monthly_allocation_micros", sa.BigInteger(), nullable=False),
        sa.Column("rate_limit_multiplier", sa.Float(), nullable=False),
        sa.Column("max_workspaces", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_billing_plans"),
    )
    op.create_table(
        "billing_wallets",
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("plan_id", sa.String(32), nullable=False),
        sa.Column("anchor_at", UTCDateTime(), nullable=False),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_billing_wallets_owner_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["billing_plans.id"], name="fk_billing_wallets_plan_id_billing_plans"
        ),
        sa.PrimaryKeyConstraint("owner_id", name="pk_billing_wallets"),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("code", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.Column("balance_micros", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "allow_negative OR balance_micros >= 0", name="ck_ledger_accounts_balance"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_accounts"),
        sa.UniqueConstraint("code", name="uq_ledger_accounts_code"),
    )
    op.create_index("ix_ledger_accounts_owner_id", "ledger_accounts", ["owner_id"])
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("step_id", sa.String(64), nullable=True),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_transactions"),
        sa.UniqueConstraint("idempotency_key", name="uq_ledger_transactions_idempotency_key"),
    )
    op.create_index("ix_ledger_transactions_owner_id", "ledger_transactions", ["owner_id"])
    op.create_index("ix_ledger_transactions_run_id", "ledger_transactions", ["run_id"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", ENTRY_ID, autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_micros", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_micros <> 0", name="ck_ledger_entries_nonzero"),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name="fk_ledger_entries_transaction_id_ledger_transactions",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name="fk_ledger_entries_account_id_ledger_accounts",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_entries"),
    )
    op.create_index("ix_ledger_entries_transaction_id", "ledger_entries", ["transaction_id"])
    op.create_index("ix_ledger_entries_account_id", "ledger_entries", ["account_id"])
    op.create_table(
        "ledger_holds",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("held_micros", sa.BigInteger(), nullable=False),
        sa.Column("alloc_remaining_micros", sa.BigInteger(), nullable=False),
        sa.Column("topup_remaining_micros", sa.BigInteger(), nullable=False),
        sa.Column("captured_micros", sa.BigInteger(), nullable=False),
        sa.Column("overage_micros", sa.BigInteger(), nullable=False),
        sa.Column("released_micros", sa.BigInteger(), nullable=False),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "alloc_remaining_micros >= 0 AND topup_remaining_micros >= 0",
            name="ck_ledger_holds_remaining",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name="fk_ledger_holds_account_id_ledger_accounts",
        ),
        sa.PrimaryKeyConstraint("run_id", name="pk_ledger_holds"),
    )
    op.create_index("ix_ledger_holds_owner_id", "ledger_holds", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_ledger_holds_owner_id", table_name="ledger_holds")
    op.drop_table("ledger_holds")
    op.drop_index("ix_ledger_entries_account_id", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_transaction_id", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index("ix_ledger_transactions_run_id", table_name="ledger_transactions")
    op.drop_index("ix_ledger_transactions_owner_id", table_name="ledger_transactions")
    op.drop_table("ledger_transactions")
    op.drop_index("ix_ledger_accounts_owner_id", table_name="ledger_accounts")
    op.drop_table("ledger_accounts")
    op.drop_table("billing_wallets")
    op.drop_table("billing_plans")
