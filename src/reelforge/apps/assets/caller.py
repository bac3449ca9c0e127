"""Who asks: a signed-in user (a core user with a key) or a guest, and the shared core
user whose runs guests' batches are. Guests share that user but never each other's
batches: each has its own random token (a cookie), and a guest's batch is found only with
the same token; the IP address only counts their rate limit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from reelforge.domain.identity import Role
from reelforge.storage import identity
from reelforge.storage.db import Database

GUEST_USER_ID = "usr_assets_guest"


@dataclass(frozen=True)
class Caller:
    user_id: str  # the core user that owns the runs
    guest_ip: str | None = None  # set for guests: what their rate limit counts
    guest_key: str | None = None  # set for guests: sha256 of their own token (cookie)

    @property
    def is_guest(self) -> bool:
        return self.guest_ip is not None


def guest_key_of(token: str) -> str:
    return hashlib.sha256(f"assets-guest:{token}".encode()).hexdigest()


def owns(caller: Caller, owner_id: str, guest_key: str | None) -> bool:
    """A row is the caller's: its user's, and for a guest also that guest's own."""
    if owner_id != caller.user_id:
        return False
    return not caller.is_guest or (guest_key is not None and guest_key == caller.guest_key)


async def guest_user(db: Database) -> str:
    """The core user guests' runs belong to (created on first use)."""
    async with db.session() as session:
        if await identity.get_user(session, GUEST_USER_ID) is not None:
            return GUEST_USER_ID
    try:
        async with db.transaction() as session:
            await identity.create_user(
                session, "Asset studio guests", Role.MEMBER, user_id=GUEST_USER_ID
            )
    except IntegrityError:
        pass  # another request made it first
    return GUEST_USER_ID
