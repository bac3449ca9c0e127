"""content credentials: each artifact keeps the digest of its content before signing, how
its C2PA manifest is kept (embedded, sidecar, failed) and, for a sidecar, its blob

Revision ID: 0020_content_credentials
Revises: (chained at merge)
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_content_credentials"
down_revision: str | None = "0019_assets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.add_column(sa.Column("content_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("credentials", sa.String(16), nullable=True))
        batch.add_column(sa.Column("manifest_sha256", sa.String(64), nullable=True))
    # Everything stored before was stored as it came: its content digest is its digest.
    op.execute("UPDATE artifacts SET content_sha256 = sha256 WHERE content_sha256 IS NULL")
    op.create_index("ix_artifacts_content_sha256", "artifacts", ["content_sha256"])


def downgrade() -> None:
    op.drop_index("ix_artifacts_content_sha256", table_name="artifacts")
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_column("manifest_sha256")
        batch.drop_column("credentials")
        batch.drop_column("content_sha256")
