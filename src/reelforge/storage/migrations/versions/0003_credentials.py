"""credentials: provider keys encrypted at rest

Revision ID: 0003_credentials
Revises: 0002_artifacts
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0003_credentials"
down_revision: str | None = "0002_artifacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("fields", sa.String(400), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_credentials_owner_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_credentials"),
        sa.UniqueConstraint("owner_id", "provider", name="uq_credentials_owner_provider"),
    )
    op.create_index("ix_credentials_owner_id", "credentials", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_credentials_owner_id", table_name="credentials")
    op.drop_table("credentials")
