"""the asset factory's tables: workspaces, batches, jobs, gallery, accounts, payments, code, OAuth

Revision ID: 0019_assets
Revises: (chained at merge)
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0019_assets"
down_revision: str | None = "0018_series"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assets_workspaces",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_assets_workspaces_owner", "assets_workspaces", ["owner_id", "mode"])
    op.create_table(
        "assets_batches",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("guest_ip", sa.String(64), nullable=True),
        sa.Column("guest_key", sa.String(64), nullable=True),
        sa.Column("workspace_id", sa.String(40), nullable=True),
        sa.Column("mode", sa.String(40), nullable=False),
        sa.Column("preset", sa.String(60), nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("chain", sa.JSON(), nullable=False),
        sa.Column("prompt_engine", sa.String(40), nullable=False),
        sa.Column("hd_credits", sa.Integer(), nullable=False),
        sa.Column("hd_charged_micros", sa.BigInteger(), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_assets_batches_owner", "assets_batches", ["owner_id", "created_at"])
    op.create_table(
        "assets_jobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("batch_id", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(40), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("mutation", sa.String(200), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("negative_prompt", sa.Text(), nullable=False),
        sa.Column("node_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("served_by", sa.String(300), nullable=True),
        sa.Column("artifact_id", sa.String(40), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.UniqueConstraint("batch_id", "slot", name="uq_assets_jobs_slot"),
    )
    op.create_table(
        "assets_gallery",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(40), nullable=False),
        sa.Column("workspace_id", sa.String(40), nullable=True),
        sa.Column("artifact_id", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("imported_from", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("job_id", name="uq_assets_gallery_job"),
    )
    op.create_index("ix_assets_gallery_mode", "assets_gallery", ["mode", "public", "created_at"])
    op.create_table(
        "assets_accounts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=True),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("verify_token_hash", sa.String(64), nullable=True),
        sa.Column("reset_token_hash", sa.String(64), nullable=True),
        sa.Column("reset_expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("email", name="uq_assets_accounts_email"),
    )
    op.create_table(
        "assets_payments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("pack", sa.String(40), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("provider", "external_id", name="uq_assets_payments"),
    )
    op.create_table(
        "assets_code",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("guest_key", sa.String(64), nullable=True),
        sa.Column("preset", sa.String(60), nullable=False),
        sa.Column("framework", sa.String(20), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("preview_artifact_id", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_assets_code_owner", "assets_code", ["owner_id"])
    op.create_table(
        "assets_oauth_states",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("code_verifier", sa.String(200), nullable=False),
        sa.Column("redirect_uri", sa.String(500), nullable=False),
        sa.Column("next_path", sa.String(500), nullable=False),
        sa.Column("link_user_id", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "assets_oauth_identities",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("provider", "subject", name="uq_assets_oauth_identities"),
    )
    op.create_index("ix_assets_oauth_identities_user", "assets_oauth_identities", ["user_id"])
    op.create_table(
        "assets_export_files",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("export_id", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(40), nullable=False),
        sa.Column("format", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_assets_export_files_export", "assets_export_files", ["export_id"])


def downgrade() -> None:
    op.drop_index("ix_assets_export_files_export", table_name="assets_export_files")
    op.drop_table("assets_export_files")
    op.drop_index("ix_assets_oauth_identities_user", table_name="assets_oauth_identities")
    op.drop_table("assets_oauth_identities")
    op.drop_table("assets_oauth_states")
    op.drop_index("ix_assets_code_owner", table_name="assets_code")
    op.drop_table("assets_code")
    op.drop_table("assets_payments")
    op.drop_table("assets_accounts")
    op.drop_index("ix_assets_gallery_mode", table_name="assets_gallery")
    op.drop_table("assets_gallery")
    op.drop_table("assets_jobs")
    op.drop_index("ix_assets_batches_owner", table_name="assets_batches")
    op.drop_table("assets_batches")
    op.drop_index("ix_assets_workspaces_owner", table_name="assets_workspaces")
    op.drop_table("assets_workspaces")
