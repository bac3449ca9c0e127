"""model prices: what the owner assumes for models whose price is unknown

Revision ID: 0009_model_prices
Revises: 0008_user_admin
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0009_model_prices"
down_revision: str | None = "0008_user_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_prices",
        sa.Column("model_id", sa.String(300), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("micros", sa.BigInteger(), nullable=False),
        sa.Column("set_by", sa.String(40), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_prices")
