"""Users and API keys: keys are shown once and stored only as a SHA-256 hash.

A key carries 256 random bits, so a fast hash is enough (no password stretching needed),
and it keeps the per-request lookup a single indexed query.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal, Role
from reelforge.domain.ids import new_id
from reelforge.storage.identity_tables import ApiKeyRow, UserRow
from reelforge.storage.tables import utcnow

KEY_PREFIX = "rf_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def create_user(
    session: AsyncSession, name: str, role: Role, email: str | None = None
) -> UserRow:
    user = UserRow(id=new_id("usr"), name=name, email=email, role=role.value, created_at=utcnow())
    session.add(user)
    await session.flush()
    return user


async def create_api_key(
    session: AsyncSession, owner_id: str, label: str = ""
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
    )
    session.add(row)
    await session.flush()
    return row, plain


async def authenticate(session: AsyncSession, key: str) -> Principal:
    """Resolve a bearer key to its principal, or raise AUTH_FAILED."""
    stmt = (
        select(ApiKeyRow, UserRow)
        .join(UserRow, UserRow.id == ApiKeyRow.owner_id)
        .where(ApiKeyRow.key_hash == hash_key(key), ApiKeyRow.revoked_at.is_(None))
    )
    found = (await session.execute(stmt)).first()
    if found is None:
        raise ReelForgeError(ErrorCode.AUTH_FAILED, "The API key is not valid or was revoked.")
    key_row, user = found
    return Principal(user_id=user.id, role=Role(user.role), api_key_id=key_row.id, name=user.name)


async def revoke_api_key(session: AsyncSession, key_id: str, owner_id: str) -> bool:
    result = await session.execute(
        update(ApiKeyRow)
        .where(
            ApiKeyRow.id == key_id, ApiKeyRow.owner_id == owner_id, ApiKeyRow.revoked_at.is_(None)
        )
        .values(revoked_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


async def find_owner(session: AsyncSession) -> UserRow | None:
    stmt = select(UserRow).where(UserRow.role == Role.OWNER.value).order_by(UserRow.created_at)
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def get_user(session: AsyncSession, user_id: str) -> UserRow | None:
    return await session.get(UserRow, user_id)
