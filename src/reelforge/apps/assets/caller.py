"""Who asks: a signed-in user (a core user with a key) or a guest (by IP), and the
shared core user whose runs guests' batches are."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from reelforge.domain.identity import Role
from reelforge.storage import identity
from reelforge.storage.db import Database

GUEST_USER_ID = "usr_assets_guest"


@dataclass(frozen=True)
class Caller:
    user_id: str  # the core user that owns the runs
    guest_ip: str | None = None  # set for guests

    @property
    def is_guest(self) -> bool:
        return self.guest_ip is not None


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
