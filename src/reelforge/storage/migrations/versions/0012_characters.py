"""characters: reference images and an optional voice a preset can use as an identity

Revision ID: 0012_characters
Revises: 0009_model_prices
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0012_characters"
down_revision: str | None = "0011_thumbnails"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "characters",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("avatar_url", sa.String(2000), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("reference_images", sa.JSON(), nullable=False),
        sa.Column("voice", sa.String(300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_characters_owner_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_characters"),
    )
    op.create_index("ix_characters_owner_id_id", "characters", ["owner_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_characters_owner_id_id", table_name="characters")
    op.drop_table("characters")
