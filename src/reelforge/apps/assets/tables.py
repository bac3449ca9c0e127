"""The asset factory's tables (seed 004, "Database Schema"), in the one Alembic history
(migration 0019_assets).

``assets_workspaces``  a user's workspace, typed to one mode (the seed's ``Project``)
``assets_batches``     one generation request: mode, preset, tier, its run on the engine
``assets_jobs``        one slot of a batch (the seed's ``Job``): seed, prompts, result
``assets_gallery``     a job's asset in its mode's gallery; public only by opt-in
``assets_accounts``    email/password sign-in for a core user (argon2 hash, tokens)
``assets_payments``    top-up pack purchases through a payment provider
``assets_code``        UI/UX code from the chat model
``assets_oauth_states`` OAuth sign-ins in progress (state, PKCE verifier), single use
``assets_oauth_identities`` GitHub/Google accounts linked to core users
``assets_export_files`` the files exporters made (bytes in the blob store)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelforge.storage.tables import Base, UTCDateTime


class WorkspaceRow(Base):
    __tablename__ = "assets_workspaces"
    __table_args__ = (Index("ix_assets_workspaces_owner", "owner_id", "mode"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BatchRow(Base):
    __tablename__ = "assets_batches"
    __table_args__ = (Index("ix_assets_batches_owner", "owner_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40))  # the core user the run belongs to
    guest_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # sha256 of the guest's own token (cookie): guests share one core user, never batches.
    guest_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    workspace_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    mode: Mapped[str] = mapped_column(String(40))
    preset: Mapped[str] = mapped_column(String(60))
    tier: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # running, succeeded, partial, failed
    chain: Mapped[list[str]] = mapped_column(JSON)  # the quality matrix's models, in order
    prompt_engine: Mapped[str] = mapped_column(String(40))
    hd_credits: Mapped[int] = mapped_column(Integer, default=0)  # charged when settled
    hd_charged_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    settled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class JobRow(Base):
    __tablename__ = "assets_jobs"
    __table_args__ = (UniqueConstraint("batch_id", "slot", name="uq_assets_jobs_slot"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(40))
    slot: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    mutation: Mapped[str | None] = mapped_column(String(200), nullable=True)
    prompt: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str] = mapped_column(Text)
    node_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # running, succeeded, failed
    served_by: Mapped[str | None] = mapped_column(String(300), nullable=True)
    artifact_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class GalleryRow(Base):
    __tablename__ = "assets_gallery"
    __table_args__ = (
        Index("ix_assets_gallery_mode", "mode", "public", "created_at"),
        UniqueConstraint("job_id", name="uq_assets_gallery_job"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(40))
    workspace_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    artifact_id: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_from: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountRow(Base):
    __tablename__ = "assets_accounts"
    __table_args__ = (UniqueConstraint("email", name="uq_assets_accounts_email"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verify_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reset_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reset_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PaymentRow(Base):
    __tablename__ = "assets_payments"
    __table_args__ = (UniqueConstraint("provider", "external_id", name="uq_assets_payments"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40))
    pack: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(100))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))  # pending, paid
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CodeRow(Base):
    """UI/UX code from the chat model (text, so not an artifact; its preview is one)."""

    __tablename__ = "assets_code"
    __table_args__ = (Index("ix_assets_code_owner", "owner_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40))
    guest_key: Mapped[str | None] = mapped_column(String(64), nullable=True)  # as batches'
    preset: Mapped[str] = mapped_column(String(60))
    framework: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(200))
    prompt: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text)
    preview_artifact_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OAuthStateRow(Base):
    """A sign-in in progress: the state we sent and its PKCE verifier (single use)."""

    __tablename__ = "assets_oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    code_verifier: Mapped[str] = mapped_column(String(200))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    next_path: Mapped[str] = mapped_column(String(500))
    link_user_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OAuthIdentityRow(Base):
    """A provider's account (GitHub or Google subject) linked to a core user."""

    __tablename__ = "assets_oauth_identities"
    __table_args__ = (
        UniqueConstraint("provider", "subject", name="uq_assets_oauth_identities"),
        Index("ix_assets_oauth_identities_user", "user_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExportFileRow(Base):
    """One file an exporter made (sheet.png, atlas.json, asset_0.svg, …): its bytes in the
    blob store. Not an artifact: JSON atlases and SVGs are not media the store accepts."""

    __tablename__ = "assets_export_files"
    __table_args__ = (Index("ix_assets_export_files_export", "export_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    export_id: Mapped[str] = mapped_column(String(40))  # the files of one export
    owner_id: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(40))
    format: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
