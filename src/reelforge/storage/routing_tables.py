"""Provider health shared by every process: failures in a row, cooldowns, recent figures.

One row per provider credential (``key`` = provider, credential source and a short
fingerprint of the key, never the key itself). Written when something changes (a failure,
a cooldown, a recovery) and at most every few seconds otherwise, so a process learns what
another one saw without a write per provider call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base


class ProviderHealthRow(Base):
    __tablename__ = "provider_health"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64), index=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    trips: Mapped[int] = mapped_column(Integer, default=0)  # cooldowns in a row
    cooldown_until: Mapped[float | None] = mapped_column(Float, nullable=True)  # epoch s
    blocked_until: Mapped[float | None] = mapped_column(Float, nullable=True)  # Retry-After
    last_error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    last_error_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_ok_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)  # in the recent window
    errors: Mapped[int] = mapped_column(Integer, default=0)  # in the recent window
    p50_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[float] = mapped_column(Float, default=0.0)
