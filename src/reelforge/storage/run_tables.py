"""Runs, their steps and their events (the durable state of pipeline execution)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime, utcnow


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("owner_id", "idempotency_key", name="uq_runs_owner_idempotency"),
        Index("ix_runs_owner_created", "owner_id", "created_at"),
        Index("ix_runs_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    pipeline: Mapped[dict[str, Any]] = mapped_column(JSON)
    preset: Mapped[str | None] = mapped_column(String(100), nullable=True)
    quote_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    price_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    # What was held when the run was stored (0: a free or sandbox run holds nothing, so
    # settling it has no hold to release).
    hold_micros: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    allow_cache: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    webhook_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # What a preset run was asked (job history): its quality level, its inputs (secrets
    # redacted), whether consent was given, and for a repair the run it repairs.
    quality: Mapped[str | None] = mapped_column(String(16), nullable=True)
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    consent_given: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    repair_of: Mapped[str | None] = mapped_column(String(40), nullable=True)


class StepRow(Base):
    __tablename__ = "steps"
    __table_args__ = (
        UniqueConstraint("run_id", "node_id", name="uq_steps_run_node"),
        Index("ix_steps_status_due", "status", "next_at"),
        Index("ix_steps_cache_key", "owner_id", "cache_key"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[str] = mapped_column(String(40))
    node_id: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)  # topological order
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every transition
    model: Mapped[str] = mapped_column(String(200))  # catalog id
    mode: Mapped[str] = mapped_column(String(16))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # prompt, params, seed, inputs
    depends_on: Mapped[list[str]] = mapped_column(JSON, default=list)  # node ids
    implicit: Mapped[bool] = mapped_column(Boolean, default=False)  # added by the planner
    quote_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_micros: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cache_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider: Mapped[str | None] = mapped_column(String(64), nullable=True)
    task: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # ProviderTask
    task_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    polls: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float | None] = mapped_column(Float, nullable=True)
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    served_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    route: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # see engine.routing
    outputs: Mapped[list[str]] = mapped_column(JSON, default=list)  # artifact ids
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    next_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # epoch seconds
    # When the request of the current lease was handed to the provider (epoch seconds);
    # None while the step is only leased: a crash then cannot have reached the provider.
    sent_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RunEventRow(Base):
    __tablename__ = "run_events"
    __table_args__ = (Index("ix_run_events_run_id_id", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
