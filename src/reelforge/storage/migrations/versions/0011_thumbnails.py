"""thumbnails: one gallery preview per source blob and size; the gallery's index

Revision ID: 0011_thumbnails
Revises: 0009_model_prices
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0011_thumbnails"
down_revision: str | None = "0010_preset_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "thumbnails",
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("max_side", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source_sha256", "max_side", name="pk_thumbnails"),
    )
    # GET /v1/artifacts pages newest first per owner: read in index order, not sorted.
    op.create_index("ix_artifacts_owner_created", "artifacts", ["owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_artifacts_owner_created", table_name="artifacts")
    op.drop_table("thumbnails")
