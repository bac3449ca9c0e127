"""Characters: a user's named identity (1-3 reference images and an optional voice) that
a preset can take as its identity reference (``identity_reference: "character:<id>"``).

The images and the voice are the owner's artifacts (or a local TTS voice id); the row only
names them, so deleting a character leaves the media in place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime, utcnow


class CharacterRow(Base):
    __tablename__ = "characters"
    __table_args__ = (Index("ix_characters_owner_id_id", "owner_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    avatar_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    # ``metadata`` is the column; the attribute cannot be (SQLAlchemy reserves it).
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    # Artifact ids of images, in the order the owner gave them (the first is the avatar).
    reference_images: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A local TTS voice id ("en_US-joe-medium") or an audio artifact id ("art_...").
    voice: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
