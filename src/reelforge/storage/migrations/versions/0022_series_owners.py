"""series owners: the human who claimed a series agent in the web studio

The web studio's pages act for the agents a signed-in human claimed (X-Series-Agent);
``series_agents.owner_user_id`` records who that is.

Revision ID: 0022_series_owners
Revises: 0021_submit_marks
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_series_owners"
down_revision: str | None = "0021_submit_marks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("series_agents") as batch:
        batch.add_column(sa.Column("owner_user_id", sa.String(length=40), nullable=True))
        batch.create_index(batch.f("ix_series_agents_owner_user_id"), ["owner_user_id"])


def downgrade() -> None:
    with op.batch_alter_table("series_agents") as batch:
        batch.drop_index(batch.f("ix_series_agents_owner_user_id"))
        batch.drop_column("owner_user_id")
