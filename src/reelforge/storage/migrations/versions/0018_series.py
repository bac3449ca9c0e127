"""series platform (seed 003): agents, studios, scripts, votes, productions, tips, payouts,
series, nonces, and the scheduled jobs' leases

Revision ID: 0018_series
Revises: (chained at merge)
Create Date: 2026-12-07 21:01:32.293567
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0018_series"
down_revision: str | None = "0017_market"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )
    op.create_table(
        "series_agents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column("banner_url", sa.Text(), nullable=True),
        sa.Column("wallet_address", sa.String(length=42), nullable=True),
        sa.Column("creator_wallet_address", sa.String(length=42), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claim_token", sa.String(length=80), nullable=True),
        sa.Column("owner_name", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("karma", sa.Integer(), nullable=False),
        sa.Column("preferences", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Integer(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("purge_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_agents")),
        sa.UniqueConstraint("claim_token", name=op.f("uq_series_agents_claim_token")),
        sa.UniqueConstraint("name", name=op.f("uq_series_agents_name")),
        sa.UniqueConstraint("wallet_address", name=op.f("uq_series_agents_wallet_address")),
    )
    with op.batch_alter_table("series_agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_agents_purge_at"), ["purge_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_series_agents_user_id"), ["user_id"], unique=False)

    op.create_table(
        "series_clip_variants",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("production_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("artifact_id", sa.String(length=80), nullable=True),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("tip_total_micros", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_clip_variants")),
    )
    with op.batch_alter_table("series_clip_variants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_series_clip_variants_production_id"), ["production_id"], unique=False
        )

    op.create_table(
        "series_episodes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("series_id", sa.String(length=40), nullable=False),
        sa.Column("episode_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("artifact_id", sa.String(length=80), nullable=True),
        sa.Column("duration_seconds", sa.Double(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_episodes")),
        sa.UniqueConstraint("series_id", "episode_number", name="uq_series_episode"),
    )
    with op.batch_alter_table("series_episodes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_series_episodes_series_id"), ["series_id"], unique=False
        )

    op.create_table(
        "series_limited_series",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("medium", sa.String(length=10), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("studio_id", sa.String(length=40), nullable=False),
        sa.Column("script_id", sa.String(length=40), nullable=True),
        sa.Column("production_id", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("genre", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pack", sa.JSON(), nullable=True),
        sa.Column("winning_clip_variant_id", sa.String(length=40), nullable=True),
        sa.Column("tip_total_micros", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_limited_series")),
        sa.UniqueConstraint("production_id", name=op.f("uq_series_limited_series_production_id")),
    )
    with op.batch_alter_table("series_limited_series", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_series_limited_series_agent_id"), ["agent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_series_limited_series_genre"), ["genre"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_series_limited_series_medium"), ["medium"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_series_limited_series_status"), ["status"], unique=False
        )

    op.create_table(
        "series_nonces",
        sa.Column("nonce", sa.String(length=80), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_series_nonces")),
    )
    with op.batch_alter_table("series_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_nonces_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "series_payouts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tip_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_type", sa.String(length=10), nullable=False),
        sa.Column("wallet_address", sa.String(length=42), nullable=True),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("split_percent", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("tx_hash", sa.String(length=80), nullable=True),
        sa.Column("ledger_transaction", sa.String(length=40), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_payouts")),
        sa.UniqueConstraint("tip_id", "recipient_type", name="uq_series_payout_once"),
    )
    with op.batch_alter_table("series_payouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_payouts_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_series_payouts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_series_payouts_tip_id"), ["tip_id"], unique=False)

    op.create_table(
        "series_productions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("script_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("poster_artifact_id", sa.String(length=80), nullable=True),
        sa.Column("tts_artifact_id", sa.String(length=80), nullable=True),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("voting_ends_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_productions")),
        sa.UniqueConstraint("script_id", name=op.f("uq_series_productions_script_id")),
    )
    with op.batch_alter_table("series_productions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_series_productions_agent_id"), ["agent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_series_productions_status"), ["status"], unique=False)

    op.create_table(
        "series_script_votes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("script_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("vote", sa.String(length=4), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_script_votes")),
        sa.UniqueConstraint("script_id", "agent_id", name="uq_series_vote_once"),
    )
    with op.batch_alter_table("series_script_votes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_series_script_votes_agent_id"), ["agent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_series_script_votes_script_id"), ["script_id"], unique=False
        )

    op.create_table(
        "series_scripts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("studio_id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("logline", sa.String(length=280), nullable=False),
        sa.Column("script_data", sa.JSON(), nullable=False),
        sa.Column("pilot_status", sa.String(length=20), nullable=False),
        sa.Column("period_id", sa.String(length=40), nullable=True),
        sa.Column("up_votes", sa.Integer(), nullable=False),
        sa.Column("down_votes", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_scripts")),
    )
    with op.batch_alter_table("series_scripts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_scripts_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_series_scripts_category"), ["category"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_series_scripts_period_id"), ["period_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_series_scripts_pilot_status"), ["pilot_status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_series_scripts_studio_id"), ["studio_id"], unique=False
        )

    op.create_table(
        "series_studios",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("suffix", sa.String(length=50), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("last_script_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_studios")),
    )
    with op.batch_alter_table("series_studios", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_studios_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_series_studios_category"), ["category"], unique=False)
        batch_op.create_index(
            "uq_series_studios_live",
            ["agent_id", "category"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "series_tips",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("clip_variant_id", sa.String(length=40), nullable=True),
        sa.Column("series_id", sa.String(length=40), nullable=True),
        sa.Column("agent_id", sa.String(length=40), nullable=False),
        sa.Column("payer_wallet", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.String(length=66), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=80), nullable=False),
        sa.Column("network", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_tips")),
        sa.UniqueConstraint("clip_variant_id", "payer_wallet", name="uq_series_tip_once"),
        sa.UniqueConstraint("payer_wallet", "nonce", name="uq_series_tip_nonce"),
    )
    with op.batch_alter_table("series_tips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_tips_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_series_tips_clip_variant_id"), ["clip_variant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_series_tips_series_id"), ["series_id"], unique=False)

    op.create_table(
        "series_voting_periods",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("week_number", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_voting_periods")),
    )
    with op.batch_alter_table("series_voting_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_series_voting_periods_ends_at"), ["ends_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_series_voting_periods_status"), ["status"], unique=False
        )

    op.create_table(
        "series_x402_settlements",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("payer", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.String(length=66), nullable=False),
        sa.Column("pay_to", sa.String(length=42), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.Column("tx_hash", sa.String(length=80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series_x402_settlements")),
        sa.UniqueConstraint("payer", "nonce", name="uq_series_settlement_nonce"),
    )


def downgrade() -> None:
    op.drop_table("series_x402_settlements")
    with op.batch_alter_table("series_voting_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_voting_periods_status"))
        batch_op.drop_index(batch_op.f("ix_series_voting_periods_ends_at"))

    op.drop_table("series_voting_periods")
    with op.batch_alter_table("series_tips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_tips_series_id"))
        batch_op.drop_index(batch_op.f("ix_series_tips_clip_variant_id"))
        batch_op.drop_index(batch_op.f("ix_series_tips_agent_id"))

    op.drop_table("series_tips")
    with op.batch_alter_table("series_studios", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_series_studios_live",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_series_studios_category"))
        batch_op.drop_index(batch_op.f("ix_series_studios_agent_id"))

    op.drop_table("series_studios")
    with op.batch_alter_table("series_scripts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_scripts_studio_id"))
        batch_op.drop_index(batch_op.f("ix_series_scripts_pilot_status"))
        batch_op.drop_index(batch_op.f("ix_series_scripts_period_id"))
        batch_op.drop_index(batch_op.f("ix_series_scripts_category"))
        batch_op.drop_index(batch_op.f("ix_series_scripts_agent_id"))

    op.drop_table("series_scripts")
    with op.batch_alter_table("series_script_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_script_votes_script_id"))
        batch_op.drop_index(batch_op.f("ix_series_script_votes_agent_id"))

    op.drop_table("series_script_votes")
    with op.batch_alter_table("series_productions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_productions_status"))
        batch_op.drop_index(batch_op.f("ix_series_productions_agent_id"))

    op.drop_table("series_productions")
    with op.batch_alter_table("series_payouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_payouts_tip_id"))
        batch_op.drop_index(batch_op.f("ix_series_payouts_status"))
        batch_op.drop_index(batch_op.f("ix_series_payouts_agent_id"))

    op.drop_table("series_payouts")
    with op.batch_alter_table("series_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_nonces_agent_id"))

    op.drop_table("series_nonces")
    with op.batch_alter_table("series_limited_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_limited_series_status"))
        batch_op.drop_index(batch_op.f("ix_series_limited_series_medium"))
        batch_op.drop_index(batch_op.f("ix_series_limited_series_genre"))
        batch_op.drop_index(batch_op.f("ix_series_limited_series_agent_id"))

    op.drop_table("series_limited_series")
    with op.batch_alter_table("series_episodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_episodes_series_id"))

    op.drop_table("series_episodes")
    with op.batch_alter_table("series_clip_variants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_clip_variants_production_id"))

    op.drop_table("series_clip_variants")
    with op.batch_alter_table("series_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_agents_user_id"))
        batch_op.drop_index(batch_op.f("ix_series_agents_purge_at"))

    op.drop_table("series_agents")
    op.drop_table("job_leases")
