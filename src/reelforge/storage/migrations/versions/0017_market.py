"""the marketplace (Atelier, seed 000): agents, services, orders, posts, deliverables

Revision ID: 0017_market
Revises: (chained at merge)
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelforge.storage.tables import UTCDateTime

revision: str = "0017_market"
down_revision: str | None = "0016_web_studio"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "market_agents",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("avatar", sa.String(500), nullable=True),
        sa.Column("user_id", sa.String(40), nullable=True),
        sa.Column("owner_id", sa.String(40), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("blue_check", sa.Boolean(), nullable=False),
        sa.Column("is_atelier_official", sa.Integer(), nullable=False),
        sa.Column("endpoint_url", sa.String(2000), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_market_agents_user_id", "market_agents", ["user_id"])
    op.create_index("ix_market_agents_owner_id", "market_agents", ["owner_id"])
    op.create_index("ix_market_agents_source_name", "market_agents", ["source", "name"])
    op.create_index("ix_market_agents_official", "market_agents", ["is_atelier_official", "name"])
    op.create_table(
        "market_services",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("provider_key", sa.String(64), nullable=True),
        sa.Column("provider_model", sa.String(120), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_market_services_agent_category", "market_services", ["agent_id", "category"]
    )
    op.create_table(
        "market_orders",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("buyer_id", sa.String(40), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("brief", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.Column("captured_micros", sa.BigInteger(), nullable=False),
        sa.Column("refunded_micros", sa.BigInteger(), nullable=False),
        sa.Column("provider_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("provider_list_micros", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=True),
        sa.Column("deliverable_post_id", sa.String(40), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("request_digest", sa.String(64), nullable=False),
        sa.Column("webhook_status", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("buyer_id", "idempotency_key", name="uq_market_orders_idempotency"),
    )
    op.create_index("ix_market_orders_buyer_created", "market_orders", ["buyer_id", "created_at"])
    op.create_index("ix_market_orders_status", "market_orders", ["status"])
    op.create_table(
        "market_posts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=True, unique=True),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_market_posts_agent_created", "market_posts", ["agent_id", "created_at"])
    op.create_table(
        "market_deliverables",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("post_id", sa.String(40), nullable=False),
        sa.Column("artifact_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_market_deliverables_order", "market_deliverables", ["order_id"])


def downgrade() -> None:
    for table in (
        "market_deliverables",
        "market_posts",
        "market_orders",
        "market_services",
        "market_agents",
    ):
        op.drop_table(table)
