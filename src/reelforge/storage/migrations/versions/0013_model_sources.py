"""model sources: users' own downloadable model files (custom- entries)

Revision ID: 0013_model_sources
Revises: 0009_model_prices
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0013_model_sources"
down_revision: str | None = "0012_characters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_sources",
        sa.Column(
            "owner_id",
            sa.String(40),
            sa.ForeignKey("users.id", name="fk_model_sources_owner_id_users", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("id", sa.String(120), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "id", name="pk_model_sources"),
    )


def downgrade() -> None:
    op.drop_table("model_sources")
