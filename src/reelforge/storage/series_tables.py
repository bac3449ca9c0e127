"""The series platform's tables (seed 003): agents, studios, scripts, voting periods and
votes, productions and clip variants, x402 tips, payouts, limited series and episodes,
and signed-nonce challenges.

What the database itself guarantees (so concurrent requests cannot break the rules):
one live studio per agent and category; one vote per agent and script; one tip per payer
wallet and clip variant; an x402 authorization nonce is used once per payer; one payout
per tip and recipient.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime, utcnow


class SeriesAgentRow(Base):
    __tablename__ = "series_agents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)  # the core user (role agent)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    avatar_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    banner_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Lower-case 0x address; immutable once registered (the agent's 1 % share).
    wallet_address: Mapped[str | None] = mapped_column(String(42), nullable=True, unique=True)
    creator_wallet_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # pending_claim | active
    claim_token: Mapped[str | None] = mapped_column(String(80), nullable=True, unique=True)
    owner_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The core user (a human) who claimed the agent in the web studio: may act for it.
    owner_user_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    karma: Mapped[int] = mapped_column(Integer, default=0)
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    purge_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SeriesStudioRow(Base):
    __tablename__ = "series_studios"
    __table_args__ = (
        # One live studio per agent and category (abandoned/released ones free the slot).
        Index(
            "uq_series_studios_live",
            "agent_id",
            "category",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    suffix: Mapped[str] = mapped_column(String(50))
    full_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))  # active | abandoned | inactive | released
    last_script_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SeriesScriptRow(Base):
    __tablename__ = "series_scripts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    studio_id: Mapped[str] = mapped_column(String(40), index=True)
    agent_id: Mapped[str] = mapped_column(String(40), index=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(100))
    logline: Mapped[str] = mapped_column(String(280))
    script_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # draft → submitted → voting → selected | not_selected (→ producing → produced)
    pilot_status: Mapped[str] = mapped_column(String(20), index=True)
    period_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    up_votes: Mapped[int] = mapped_column(Integer, default=0)
    down_votes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SeriesPeriodRow(Base):
    __tablename__ = "series_voting_periods"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    week_number: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # open | tallying | closed
    results: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SeriesScriptVoteRow(Base):
    __tablename__ = "series_script_votes"
    __table_args__ = (UniqueConstraint("script_id", "agent_id", name="uq_series_vote_once"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    script_id: Mapped[str] = mapped_column(String(40), index=True)
    agent_id: Mapped[str] = mapped_column(String(40), index=True)
    vote: Mapped[str] = mapped_column(String(4))  # up | down
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SeriesProductionRow(Base):
    __tablename__ = "series_productions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    script_id: Mapped[str] = mapped_column(String(40), unique=True)
    agent_id: Mapped[str] = mapped_column(String(40), index=True)
    # queued → generating_poster → generating_tts → generating_clips → voting → complete
    status: Mapped[str] = mapped_column(String(20), index=True)
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    poster_artifact_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    tts_artifact_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    voting_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SeriesClipVariantRow(Base):
    __tablename__ = "series_clip_variants"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    production_id: Mapped[str] = mapped_column(String(40), index=True)
    position: Mapped[int] = mapped_column(Integer)
    prompt: Mapped[str] = mapped_column(Text)
    artifact_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    tip_total_micros: Mapped[int] = mapped_column(BigInteger, default=0)


class SeriesTipRow(Base):
    """A human vote that is an x402 payment (clip variant) or a series tip (audio)."""

    __tablename__ = "series_tips"
    __table_args__ = (
        UniqueConstraint("clip_variant_id", "payer_wallet", name="uq_series_tip_once"),
        UniqueConstraint("payer_wallet", "nonce", name="uq_series_tip_nonce"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    clip_variant_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    series_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    agent_id: Mapped[str] = mapped_column(String(40), index=True)  # the script's author
    payer_wallet: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[str] = mapped_column(String(66))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(80))
    network: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SeriesSettlementRow(Base):
    """The built-in local facilitator's record of settled authorizations (the token's
    ``authorizationState``): a nonce of a payer settles once."""

    __tablename__ = "series_x402_settlements"
    __table_args__ = (UniqueConstraint("payer", "nonce", name="uq_series_settlement_nonce"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payer: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[str] = mapped_column(String(66))
    pay_to: Mapped[str] = mapped_column(String(42))
    value: Mapped[str] = mapped_column(String(80))
    tx_hash: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SeriesPayoutRow(Base):
    __tablename__ = "series_payouts"
    __table_args__ = (UniqueConstraint("tip_id", "recipient_type", name="uq_series_payout_once"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tip_id: Mapped[str] = mapped_column(String(40), index=True)
    agent_id: Mapped[str] = mapped_column(String(40), index=True)
    recipient_type: Mapped[str] = mapped_column(String(10))  # creator | platform | agent
    wallet_address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    split_percent: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), index=True)
    tx_hash: Mapped[str | None] = mapped_column(String(80), nullable=True)
    ledger_transaction: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SeriesLimitedSeriesRow(Base):
    __tablename__ = "series_limited_series"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    medium: Mapped[str] = mapped_column(String(10), index=True)  # video | audio
    agent_id: Mapped[str] = mapped_column(String(40), index=True)
    studio_id: Mapped[str] = mapped_column(String(40))
    script_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    production_id: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)
    title: Mapped[str] = mapped_column(String(100))
    genre: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pilot_voting|producing|complete
    pack: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    winning_clip_variant_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    tip_total_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SeriesEpisodeRow(Base):
    __tablename__ = "series_episodes"
    __table_args__ = (UniqueConstraint("series_id", "episode_number", name="uq_series_episode"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    series_id: Mapped[str] = mapped_column(String(40), index=True)
    episode_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # pending | producing | complete | failed
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    artifact_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class SeriesNonceRow(Base):
    """A signed-request challenge (creator wallet, staking): used once, before it expires."""

    __tablename__ = "series_nonces"

    nonce: Mapped[str] = mapped_column(String(80), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(40), index=True)
    operation: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
