"""Users and API keys: keys are shown once and stored only as a SHA-256 hash.

A key carries 256 random bits, so a fast hash is enough (no password stretching needed),
and it keeps the per-request lookup a single indexed query. Who may manage whom is decided
above this module (``engine.users``, from ``domain.identity``'s rules); here are the rows.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal, Role, Scope
from reelforge.domain.ids import new_id
from reelforge.storage.identity_tables import ApiKeyRow, UserRow
from reelforge.storage.ledger_tables import PlanRow, WalletRow
from reelforge.storage.tables import utcnow
from reelforge.storage.web_tables import WebSessionRow

KEY_PREFIX = "rf_"
MAX_KEY_DAYS = 3650
# ``last_used_at`` is written at most this often per key (a write per request would cost).
TOUCH_EVERY = timedelta(seconds=60)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def normalize_email(email: str | None) -> str | None:
    """Emails are unique case-insensitively; stored lowered. Empty means none."""
    if email is None or not email.strip():
        return None
    value = email.strip().lower()
    if len(value) > 320 or not _EMAIL.fullmatch(value):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"{email!r} is not an email address.",
            detail={"invalid_fields": [{"field": "email", "problem": "not an email address"}]},
        )
    return value


async def check_email_free(
    session: AsyncSession, email: str | None, except_user: str | None = None
) -> None:
    if email is None:
        return
    stmt = select(UserRow.id, UserRow.deactivated_at).where(func.lower(UserRow.email) == email)
    if except_user is not None:
        stmt = stmt.where(UserRow.id != except_user)
    found = (await session.execute(stmt.limit(1))).first()
    if found is not None:
        other, deactivated = found
        state = " (deactivated: reactivate it instead)" if deactivated else ""
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            f"The email {email} already belongs to user {other}{state}.",
            remediation=("Use another email, or change that user.",),
            detail={"email": email, "user_id": other, "deactivated": deactivated is not None},
        )


async def create_user(
    session: AsyncSession,
    name: str,
    role: Role,
    email: str | None = None,
    *,
    user_id: str | None = None,
) -> UserRow:
    email = normalize_email(email)
    await check_email_free(session, email)
    if role is Role.OWNER and await find_owner(session) is not None:
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            "There is already an owner; there is only ever one.",
            remediation=("Create an admin, or have the owner hand ownership over.",),
        )
    now = utcnow()
    user = UserRow(
        id=user_id or new_id("usr"),
        name=name,
        email=email,
        role=role.value,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: str) -> UserRow | None:
    return await session.get(UserRow, user_id, populate_existing=True)


async def require_user(session: AsyncSession, user_id: str) -> UserRow:
    user = await get_user(session, user_id)
    if user is None:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND,
            f"No user {user_id!r}.",
            remediation=("List the users with GET /v1/users (or `reelforge users list`).",),
            detail={"user_id": user_id},
        )
    return user


async def list_users(
    session: AsyncSession,
    *,
    role: Role | None = None,
    include_deactivated: bool = False,
    after: str | None = None,
    limit: int | None = None,
) -> list[UserRow]:
    """Oldest first (ids grow with time); ``after``: the last id of the previous page."""
    stmt = select(UserRow).order_by(UserRow.id)
    if after is not None:
        stmt = stmt.where(UserRow.id > after)
    if limit is not None:
        stmt = stmt.limit(limit)
    if role is not None:
        stmt = stmt.where(UserRow.role == role.value)
    if not include_deactivated:
        stmt = stmt.where(UserRow.deactivated_at.is_(None))
    return list((await session.execute(stmt)).scalars())


async def find_owner(session: AsyncSession) -> UserRow | None:
    stmt = select(UserRow).where(UserRow.role == Role.OWNER.value).order_by(UserRow.created_at)
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def set_role_if(session: AsyncSession, user_id: str, expected: Role, new: Role) -> bool:
    """Compare-and-set of a user's role (ownership hand-over races lose cleanly)."""
    result = await session.execute(
        update(UserRow)
        .where(UserRow.id == user_id, UserRow.role == expected.value)
        .values(role=new.value, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def deactivate_user(session: AsyncSession, user_id: str) -> int:
    """Mark the user deactivated and revoke every key they have; returns keys revoked."""
    now = utcnow()
    await session.execute(
        update(UserRow)
        .where(UserRow.id == user_id, UserRow.deactivated_at.is_(None))
        .values(deactivated_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(ApiKeyRow)
        .where(ApiKeyRow.owner_id == user_id, ApiKeyRow.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    # Their browser sessions end too (they would fail on the revoked keys anyway).
    await session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.user_id == user_id, WebSessionRow.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def key_expiry(
    expires_at: datetime | None, expires_in_days: int | None, now: datetime | None = None
) -> datetime | None:
    """One of ``expires_at`` (in the future) or ``expires_in_days`` (1..3650), or neither."""
    now = now or utcnow()
    if expires_at is not None and expires_in_days is not None:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "Give expires_at or expires_in_days, not both.",
            detail={"invalid_fields": [{"field": "expires_in_days", "problem": "with expires_at"}]},
        )
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_KEY_DAYS:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"expires_in_days must be between 1 and {MAX_KEY_DAYS}.",
                detail={"invalid_fields": [{"field": "expires_in_days", "problem": "range"}]},
            )
        return now + timedelta(days=expires_in_days)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "expires_at needs a time zone (e.g. 2027-01-31T00:00:00Z).",
                detail={"invalid_fields": [{"field": "expires_at", "problem": "no time zone"}]},
            )
        if expires_at <= now:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "expires_at is in the past.",
                detail={"invalid_fields": [{"field": "expires_at", "problem": "in the past"}]},
            )
        if expires_at > now + timedelta(days=MAX_KEY_DAYS):
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"expires_at is more than {MAX_KEY_DAYS} days away.",
                detail={"invalid_fields": [{"field": "expires_at", "problem": "too far"}]},
            )
    return expires_at


async def create_api_key(
    session: AsyncSession,
    owner_id: str,
    label: str = "",
    *,
    scopes: frozenset[Scope] | None = None,
    expires_at: datetime | None = None,
    created_by: str | None = None,
) -> tuple[ApiKeyRow, str]:
    """Create a key; returns the row and the plain key, which is never stored."""
    plain = generate_key()
    row = ApiKeyRow(
        id=new_id("key"),
        owner_id=owner_id,
        label=label,
        prefix=plain[:10],
        key_hash=hash_key(plain),
        created_at=utcnow(),
        expires_at=expires_at,
        scopes=None if scopes is None else sorted(s.value for s in scopes),
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return row, plain


async def list_api_keys(
    session: AsyncSession, owner_id: str, *, include_revoked: bool = True
) -> list[ApiKeyRow]:
    stmt = select(ApiKeyRow).where(ApiKeyRow.owner_id == owner_id)
    if not include_revoked:
        stmt = stmt.where(ApiKeyRow.revoked_at.is_(None))
    stmt = stmt.order_by(ApiKeyRow.created_at, ApiKeyRow.id)
    return list((await session.execute(stmt.execution_options(populate_existing=True))).scalars())


async def revoke_api_key(session: AsyncSession, key_id: str, owner_id: str) -> bool:
    result = await session.execute(
        update(ApiKeyRow)
        .where(
            ApiKeyRow.id == key_id, ApiKeyRow.owner_id == owner_id, ApiKeyRow.revoked_at.is_(None)
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _refused(message: str, **detail: object) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.AUTH_FAILED,
        message,
        remediation=(
            "Send `Authorization: Bearer <key>` with a valid ReelForge API key.",
            "Ask an owner or admin for a new key (`reelforge keys create`).",
        ),
        detail=dict(detail),
    )


async def authenticate(session: AsyncSession, key: str) -> Principal:
    """Resolve a bearer key to its principal, or raise AUTH_FAILED saying why."""
    principal, _last_used = await resolve_key(session, key)
    return principal


async def resolve_key(
    session: AsyncSession, key: str, now: datetime | None = None
) -> tuple[Principal, datetime | None]:
    """``authenticate``, and when the key was last used (for ``touch_key``)."""
    return await _resolve_where(session, ApiKeyRow.key_hash == hash_key(key), now)


async def resolve_key_id(
    session: AsyncSession, key_id: str, now: datetime | None = None
) -> Principal:
    """The principal of a key known by id (a browser session is bound to one): refused
    with AUTH_FAILED exactly as the key itself would be (revoked, expired, user gone)."""
    principal, _last_used = await _resolve_where(session, ApiKeyRow.id == key_id, now)
    return principal


async def _resolve_where(
    session: AsyncSession, condition: ColumnElement[bool], now: datetime | None
) -> tuple[Principal, datetime | None]:
    now = now or utcnow()
    stmt = (
        select(ApiKeyRow, UserRow, PlanRow.rate_limit_multiplier)
        .join(UserRow, UserRow.id == ApiKeyRow.owner_id)
        .outerjoin(WalletRow, WalletRow.owner_id == UserRow.id)
        .outerjoin(PlanRow, PlanRow.id == WalletRow.plan_id)
        .where(condition)
    )
    found = (await session.execute(stmt)).first()
    if found is None:
        raise _refused("The API key is not valid.")
    key_row, user, multiplier = found
    if key_row.revoked_at is not None:
        raise _refused(
            f"The API key {key_row.prefix}… was revoked.", key_id=key_row.id, revoked=True
        )
    if user.deactivated_at is not None:
        raise _refused("The key's user is deactivated.", user_id=user.id, deactivated=True)
    if key_row.expires_at is not None and key_row.expires_at <= now:
        raise _refused(
            f"The API key {key_row.prefix}… expired at {key_row.expires_at.isoformat()}.",
            key_id=key_row.id,
            expired_at=key_row.expires_at.isoformat(),
        )
    if multiplier is None:
        # No wallet yet: the plan new users get.
        default = select(PlanRow.rate_limit_multiplier).where(PlanRow.is_default.is_(True))
        multiplier = (await session.execute(default.limit(1))).scalar_one_or_none()
    principal = Principal(
        user_id=user.id,
        role=Role(user.role),
        api_key_id=key_row.id,
        name=user.name,
        scopes=None if key_row.scopes is None else frozenset(Scope(s) for s in key_row.scopes),
        expires_at=key_row.expires_at,
        rate_multiplier=float(multiplier) if multiplier is not None else 1.0,
    )
    return principal, key_row.last_used_at


async def touch_key(session: AsyncSession, key_id: str, now: datetime | None = None) -> None:
    """Record that a key was used (at most once per ``TOUCH_EVERY``)."""
    now = now or utcnow()
    await session.execute(
        update(ApiKeyRow)
        .where(
            ApiKeyRow.id == key_id,
            (ApiKeyRow.last_used_at.is_(None)) | (ApiKeyRow.last_used_at < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
