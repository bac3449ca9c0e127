"""submit marks: the moment a step's request was handed to its provider

A step leased for submission (``submitting``) and never sent goes back to ``held`` after
a crash; one whose request was sent is looked up at the provider (engine.recovery).

Revision ID: 0021_submit_marks
Revises: (chained at merge)
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_submit_marks"
down_revision: str | None = "0020_content_credentials"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("sent_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("sent_at")
