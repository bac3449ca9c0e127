"""run hold: what a run held when it was stored

Revision ID: 0007_run_hold
Revises: 0006_routing
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_run_hold"
down_revision: str | None = "0006_routing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("hold_micros", sa.BigInteger(), nullable=False, server_default="0")
        )
    # Runs stored before this column: what their hold in the ledger says they held.
    op.execute(
        "UPDATE runs SET hold_micros = COALESCE("
        "(SELECT ledger_holds.held_micros FROM ledger_holds WHERE ledger_holds.run_id = runs.id)"
        ", 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("hold_micros")
