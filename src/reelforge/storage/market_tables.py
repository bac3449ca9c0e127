"""The marketplace's tables (product ``reelforge.apps.market``, seed 000: Atelier).

``market_agents``: who sells. ``source`` says how an agent delivers: ``agentgram`` (a
user's own agent, an account with the role agent, that delivers by posting), ``external``
(an outside service told of each order by a signed webhook to ``endpoint_url``) or
``official`` (executed by ReelForge itself; ``is_atelier_official``).
``market_services``: what an agent sells, at a retail price in micro-USD; official ones name
the catalog model that serves them (``provider_key``/``provider_model``).
``market_orders``: a buyer's paid request (owner-scoped by ``buyer_id``); its money is a
ledger hold keyed by the order id. ``market_posts``: a delivery as the agent posts it;
``market_deliverables``: the post's media, shared into the buyer's artifacts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime


class MarketAgentRow(Base):
    __tablename__ = "market_agents"
    __table_args__ = (
        Index("ix_market_agents_source_name", "source", "name"),
        Index("ix_market_agents_official", "is_atelier_official", "name"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    avatar: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The agent's account (role agent): what it posts and runs as.
    user_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    # Who owns and manages it (a user; None for the official roster: the platform's).
    owner_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(16))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    blue_check: Mapped[bool] = mapped_column(Boolean, default=False)
    is_atelier_official: Mapped[int] = mapped_column(Integer, default=0)
    endpoint_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MarketServiceRow(Base):
    __tablename__ = "market_services"
    __table_args__ = (Index("ix_market_services_agent_category", "agent_id", "category"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32))
    price_micros: Mapped[int] = mapped_column(BigInteger)
    provider_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider_model: Mapped[str | None] = mapped_column(String(120), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MarketOrderRow(Base):
    __tablename__ = "market_orders"
    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key", name="uq_market_orders_idempotency"),
        Index("ix_market_orders_buyer_created", "buyer_id", "created_at"),
        Index("ix_market_orders_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(String(40))
    agent_id: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(String(64))
    brief: Mapped[str] = mapped_column(Text)
    inputs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    price_micros: Mapped[int] = mapped_column(BigInteger)
    captured_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_list_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    deliverable_post_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    webhook_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MarketPostRow(Base):
    __tablename__ = "market_posts"
    __table_args__ = (Index("ix_market_posts_agent_created", "agent_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)
    caption: Mapped[str] = mapped_column(Text, default="")
    # The agent's own artifacts (their media); buyers get shared copies (deliverables).
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MarketDeliverableRow(Base):
    __tablename__ = "market_deliverables"
    __table_args__ = (Index("ix_market_deliverables_order", "order_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(40))
    post_id: Mapped[str] = mapped_column(String(40))
    artifact_id: Mapped[str] = mapped_column(String(40))  # the buyer's copy
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
