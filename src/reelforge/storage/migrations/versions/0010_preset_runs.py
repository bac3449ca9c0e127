"""preset runs: what a preset run was asked (quality, inputs, consent) and repair links

Revision ID: 0010_preset_runs
Revises: 0009_model_prices
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_preset_runs"
down_revision: str | None = "0009_model_prices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("quality", sa.String(16), nullable=True))
        batch.add_column(sa.Column("inputs", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("consent_given", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("repair_of", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("repair_of")
        batch.drop_column("consent_given")
        batch.drop_column("inputs")
        batch.drop_column("quality")
