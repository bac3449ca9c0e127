"""budgets on own-key spend, and provider-reported costs next to quotes (price drift)

Revision ID: 0015_budgets
Revises: 0012_characters (the lead said 0009_model_prices; main already chains 0012 onto it)
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0015_budgets"
down_revision: str | None = "0013_model_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("soft_micros", sa.BigInteger(), nullable=True),
        sa.Column("hard_micros", sa.BigInteger(), nullable=True),
        sa.Column("set_by", sa.String(40), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("owner_id", "provider", name="uq_budgets_owner_provider"),
    )
    op.create_table(
        "price_observations",
        sa.Column("step_id", sa.String(40), primary_key=True),
        sa.Column("model_id", sa.String(300), nullable=False),
        sa.Column("provider", sa.String(100), nullable=False),
        sa.Column("quote_micros", sa.BigInteger(), nullable=False),
        sa.Column("price_source", sa.String(20), nullable=False),
        sa.Column("reported_micros", sa.BigInteger(), nullable=False),
        sa.Column("charged_micros", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_price_observations_model", "price_observations", ["model_id"])


def downgrade() -> None:
    op.drop_index("ix_price_observations_model", table_name="price_observations")
    op.drop_table("price_observations")
    op.drop_table("budgets")
