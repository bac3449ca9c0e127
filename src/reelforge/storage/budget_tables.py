"""Budgets on spend with a user's own provider keys, and what providers reported tasks cost.

``budgets``: one row per user (``provider`` empty: every own key together) or per stored
key (``provider`` named). ``soft_micros`` warns, ``hard_micros`` refuses a run that would
go over (BUDGET_EXCEEDED); either may be unset. Budgets count the current calendar month
(UTC), summed from the ledger's own-key spend accounts.

``price_observations``: one row per finished live step whose provider said what the task
cost, next to what the catalog (or the assumed price) quoted, so drift can be reported
per model and catalog prices corrected.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime


class BudgetRow(Base):
    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("owner_id", "provider", name="uq_budgets_owner_provider"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str] = mapped_column(String(100))  # "" = all the user's own keys
    soft_micros: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    hard_micros: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    set_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PriceObservationRow(Base):
    __tablename__ = "price_observations"
    __table_args__ = (Index("ix_price_observations_model", "model_id"),)

    step_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(100))
    quote_micros: Mapped[int] = mapped_column(BigInteger)  # what the step was priced at
    price_source: Mapped[str] = mapped_column(String(20))  # catalog, owner_price, max_micros_cap
    reported_micros: Mapped[int] = mapped_column(BigInteger)  # what the provider said
    charged_micros: Mapped[int] = mapped_column(BigInteger)  # what was billed (capped)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
