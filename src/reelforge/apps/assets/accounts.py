"""Email/password accounts for the asset studio (seed 004, "Auth Model"): a core user
(role member) with an argon2 password hash, an email verification token and a password
reset token (both stored only as sha256, single use). Signing in issues a server-side
session: a core API key (hashed at rest, revocable, 30 days), so every route accepts it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from reelforge.apps.assets.tables import AccountRow
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Role
from reelforge.domain.ids import new_id
from reelforge.storage import identity
from reelforge.storage.db import Database
from reelforge.storage.tables import utcnow

SESSION_DAYS = 30
RESET_MINUTES = 30
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a miss costs what a hit costs.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _email(raw: str) -> str:
    email = identity.normalize_email(raw)
    if not email or "@" not in email:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "A valid email address is needed.",
            detail={"field": "email"},
        )
    return email


def _password(raw: str) -> str:
    if len(raw) < MIN_PASSWORD or len(raw) > 1024:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"A password has {MIN_PASSWORD} to 1024 characters.",
            detail={"field": "password"},
        )
    return raw


def _refused() -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.AUTH_FAILED,
        "Wrong email or password.",
        remediation=(
            "Check both, or reset the password (POST /v1/assets/accounts/reset-request).",
        ),
    )


async def sign_up(db: Database, email: str, password: str) -> tuple[str, str]:
    """(user id, verification token: sent by email; shown to the caller in sandbox)."""
    email, password = _email(email), _password(password)
    token = secrets.token_urlsafe(32)
    async with db.transaction() as session:
        taken = (
            await session.execute(select(AccountRow.id).where(AccountRow.email == email))
        ).first()
        if taken:
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                "There is already an account with this email.",
                remediation=("Sign in, or reset the password.",),
            )
        user = await identity.create_user(session, email.split("@")[0], Role.MEMBER, email)
        session.add(
            AccountRow(
                id=new_id("acc"),
                user_id=user.id,
                email=email,
                password_hash=_hasher.hash(password),
                verify_token_hash=_digest(token),
                created_at=utcnow(),
            )
        )
    return user.id, token


async def verify_email(db: Database, token: str) -> str:
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(AccountRow).where(AccountRow.verify_token_hash == _digest(token))
            )
        ).scalar_one_or_none()
        if row is None:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                "This verification link is not valid (or was used already).",
                remediation=("Sign in and ask for a new verification email.",),
            )
        row.verified_at = utcnow()
        row.verify_token_hash = None
        return row.user_id


async def sign_in(db: Database, email: str, password: str) -> tuple[str, str]:
    """(user id, session token) for a verified account with the right password."""
    async with db.session() as session:
        row = (
            await session.execute(select(AccountRow).where(AccountRow.email == _email(email)))
        ).scalar_one_or_none()
    try:
        _hasher.verify(row.password_hash if row and row.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise _refused() from None
    if row is None:
        raise _refused()
    if row.verified_at is None:
        raise ReelForgeError(
            ErrorCode.FORBIDDEN,
            "Verify your email address first (the link in the email we sent).",
            detail={"verified": False},
        )
    async with db.transaction() as session:
        if row.password_hash and _hasher.check_needs_rehash(row.password_hash):
            fresh = await session.get(AccountRow, row.id)
            assert fresh is not None
            fresh.password_hash = _hasher.hash(password)
        _key, plain = await identity.create_api_key(
            session,
            row.user_id,
            "asset studio session",
            expires_at=utcnow() + timedelta(days=SESSION_DAYS),
        )
    return row.user_id, plain


async def request_reset(db: Database, email: str) -> str | None:
    """A reset token for a known email (None otherwise; the caller answers the same)."""
    token = secrets.token_urlsafe(32)
    async with db.transaction() as session:
        row = (
            await session.execute(select(AccountRow).where(AccountRow.email == _email(email)))
        ).scalar_one_or_none()
        if row is None:
            return None
        row.reset_token_hash = _digest(token)
        row.reset_expires_at = utcnow() + timedelta(minutes=RESET_MINUTES)
    return token


async def reset_password(db: Database, token: str, password: str) -> str:
    password = _password(password)
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(AccountRow).where(AccountRow.reset_token_hash == _digest(token))
            )
        ).scalar_one_or_none()
        if row is None or row.reset_expires_at is None or row.reset_expires_at < utcnow():
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                "This reset link is not valid or has expired.",
                remediation=("Ask for a new one (POST /v1/assets/accounts/reset-request).",),
            )
        row.password_hash = _hasher.hash(password)
        row.reset_token_hash = None
        row.reset_expires_at = None
        # Whoever reset it owns the mailbox: the address counts as verified.
        row.verified_at = row.verified_at or utcnow()
        return row.user_id
