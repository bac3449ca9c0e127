"""user admin: deactivated users, key expiry, scopes and who made a key

Revision ID: 0008_user_admin
Revises: 0007_run_hold
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0008_user_admin"
down_revision: str | None = "0007_run_hold"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("updated_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("deactivated_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("scopes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("created_by", sa.String(40), nullable=True))
    # Emails are compared case-insensitively from now on; stored ones are lowered where
    # that makes no duplicate (a clash is left as it is, for an admin to resolve).
    op.execute(
        "UPDATE users SET email = LOWER(email) WHERE email IS NOT NULL AND email <> LOWER(email)"
        " AND NOT EXISTS (SELECT 1 FROM users AS other"
        " WHERE other.id <> users.id AND LOWER(other.email) = LOWER(users.email))"
    )


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("created_by")
        batch.drop_column("scopes")
        batch.drop_column("expires_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deactivated_at")
        batch.drop_column("updated_at")
