"""Artifacts: media we store, with provenance. Bytes live in the blob store by sha256."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime, utcnow


class ArtifactRow(Base):
    __tablename__ = "artifacts"
    # The gallery's order (newest first per owner), added with the thumbnails (0011).
    __table_args__ = (Index("ix_artifacts_owner_created", "owner_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the stored (signed) file
    # The content as it came, before its content credentials were added (0020): what
    # de-duplication compares. Equal to sha256 for anything stored unsigned.
    content_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # How its C2PA manifest is kept: embedded, sidecar (manifest_sha256), failed; None: unsigned.
    credentials: Mapped[str | None] = mapped_column(String(16), nullable=True)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(300), default="")
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    # model, params, parents (artifact ids), cost_micros, provider task, source url, times
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
