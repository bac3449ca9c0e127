"""Prices the owner (or an admin) set for models whose catalog price is unknown.

One row per model for the whole installation: ``kind`` ``price`` is what one generation
is assumed to cost (held, and charged unless the provider reports its real cost);
``cap`` is the most one generation may cost (held, and charged at most that).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime


class ModelPriceRow(Base):
    __tablename__ = "model_prices"

    model_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "price" | "cap"
    micros: Mapped[int] = mapped_column(BigInteger)
    set_by: Mapped[str] = mapped_column(String(40))  # the user id who set it
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
