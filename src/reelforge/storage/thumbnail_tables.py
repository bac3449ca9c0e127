"""Gallery thumbnails: one small preview per source blob and size, made once.

Keyed by the source's sha256 (not the artifact id): artifacts with the same bytes share
one preview, and a preview can never go stale, since its source never changes. The
preview's own bytes are a blob in the blob store, by their sha256.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime, utcnow


class ThumbnailRow(Base):
    __tablename__ = "thumbnails"

    source_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    max_side: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
