"""One-time login tokens and browser sessions (rows in ``web_tables``).

Tokens carry 256 random bits, so (as for API keys) a SHA-256 hash is what is stored and
looked up. A login token is redeemed by a compare-and-set on ``used_at``: two browsers
opening the same link race, and exactly one of them gets a session.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.domain.ids import new_id
from reelforge.storage.identity import hash_key, resolve_key_id
from reelforge.storage.identity_tables import ApiKeyRow
from reelforge.storage.tables import utcnow
from reelforge.storage.web_tables import LoginTokenRow, WebSessionRow

LOGIN_TOKEN_TTL = timedelta(minutes=15)


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def create_login_token(
    session: AsyncSession, api_key_id: str, *, ttl: timedelta = LOGIN_TOKEN_TTL
) -> str:
    """A token that opens one session bound to ``api_key_id``; only its hash is stored."""
    plain = new_token()
    now = utcnow()
    session.add(
        LoginTokenRow(
            token_hash=hash_key(plain), api_key_id=api_key_id, created_at=now, expires_at=now + ttl
        )
    )
    # Tokens nobody used are of no use a day later: keep the table small.
    await session.execute(
        delete(LoginTokenRow).where(LoginTokenRow.expires_at < now - timedelta(days=1))
    )
    await session.flush()
    return plain


def _login_refused(message: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.AUTH_FAILED,
        message,
        remediation=(
            "Sign-in links work once, for 15 minutes: run `reelforge login-url` for a new one "
            "(or look at what `reelforge serve` printed).",
            "Or sign in with an API key at POST /v1/session.",
        ),
    )


async def redeem_login_token(session: AsyncSession, token: str) -> str:
    """Use a login token up (once); returns the API key id it signs in as."""
    digest = hash_key(token)
    now = utcnow()
    result = await session.execute(
        update(LoginTokenRow)
        .where(
            LoginTokenRow.token_hash == digest,
            LoginTokenRow.used_at.is_(None),
            LoginTokenRow.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        row = await session.get(LoginTokenRow, digest)
        if row is None:
            raise _login_refused("This sign-in link is not valid.")
        if row.used_at is not None:
            raise _login_refused("This sign-in link was already used.")
        raise _login_refused("This sign-in link has expired.")
    key_id = (
        await session.execute(
            select(LoginTokenRow.api_key_id).where(LoginTokenRow.token_hash == digest)
        )
    ).scalar_one()
    return str(key_id)


async def create_session(
    session: AsyncSession, principal: Principal, *, lifetime: timedelta
) -> str:
    """A browser session for the principal's key; returns the session token (the cookie)."""
    plain = new_token()
    now = utcnow()
    session.add(
        WebSessionRow(
            id=new_id("ses"),
            token_hash=hash_key(plain),
            api_key_id=principal.api_key_id,
            user_id=principal.user_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return plain


def _session_refused(message: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.AUTH_FAILED,
        message,
        remediation=(
            "Sign in again: open the link `reelforge login-url` prints, or POST /v1/session "
            'with {"api_key": "..."}.',
        ),
        detail={"session": True},
    )


async def resolve_session(
    session: AsyncSession, token: str, now: datetime | None = None
) -> tuple[Principal, datetime]:
    """The principal of a session token and when the session ends, or AUTH_FAILED: an
    unknown, ended or expired session, or one whose key or user no longer may sign in."""
    now = now or utcnow()
    row = (
        await session.execute(
            select(WebSessionRow).where(WebSessionRow.token_hash == hash_key(token))
        )
    ).scalar_one_or_none()
    if row is None or row.ended_at is not None:
        raise _session_refused("You are signed out.")
    if row.expires_at <= now:
        raise _session_refused("Your session has expired.")
    try:
        principal = await resolve_key_id(session, row.api_key_id, now)
    except ReelForgeError as exc:
        raise _session_refused(f"Your session has ended: {exc.message}") from exc
    return principal, row.expires_at


async def end_session(session: AsyncSession, token: str) -> bool:
    result = await session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.token_hash == hash_key(token), WebSessionRow.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def key_id_for(session: AsyncSession, key: str) -> str | None:
    """The id of a plain API key (the owner's, for a login link), if it exists."""
    found = await session.execute(select(ApiKeyRow.id).where(ApiKeyRow.key_hash == hash_key(key)))
    value = found.scalar_one_or_none()
    return None if value is None else str(value)
