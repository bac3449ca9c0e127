"""Users' own model sources (``custom-`` entries), one row per owner and id.

The entry itself is stored as the JSON of a ``ModelSource`` (its shape is the domain's,
validated on the way in and again on the way out); the columns beside it are what lookups
use. Curated entries are data files in the catalog, never rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime, utcnow


class ModelSourceRow(Base):
    __tablename__ = "model_sources"

    owner_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # "custom-..."
    type: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    entry: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
