"""routing: provider health (failures, cooldowns, recent figures) and each step's route

Revision ID: 0006_routing
Revises: 0005_ledger
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_routing"
down_revision: str | None = "0005_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_health",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("trips", sa.Integer(), nullable=False),
        sa.Column("cooldown_until", sa.Float(), nullable=True),
        sa.Column("blocked_until", sa.Float(), nullable=True),
        sa.Column("last_error", sa.JSON(), nullable=True),
        sa.Column("last_error_at", sa.Float(), nullable=True),
        sa.Column("last_ok_at", sa.Float(), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("p50_ms", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_provider_health"),
    )
    op.create_index("ix_provider_health_provider", "provider_health", ["provider"], unique=False)
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("route", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("route")
    op.drop_index("ix_provider_health_provider", table_name="provider_health")
    op.drop_table("provider_health")
