"""User-supplied engine URLs (a ComfyUI credential's ``url``, a custom model source) go
through the same address rules as every fetch (storage.fetcher): http(s) only, no
credentials in the URL, the name resolved and every address checked.

Loopback and private engines are for whoever runs the machine: the owner and the admins
the owner appointed may point an engine at 127.0.0.1 or the LAN; a member may only when
the owner allowed it for everyone (setting ``allow_private_engines``). Cloud metadata
addresses are refused to all. The check runs when the URL is stored and again each time
a stored credential is used (a name may resolve elsewhere by then).
"""

from __future__ import annotations

from reelforge.domain.identity import Role
from reelforge.storage.db import Database
from reelforge.storage.fetcher import SafeFetcher
from reelforge.storage.identity import get_user


def is_url_field(name: str) -> bool:
    return name == "url" or name.endswith("_url")


class EngineUrlPolicy:
    def __init__(self, db: Database, fetcher: SafeFetcher, *, allow_private: bool) -> None:
        self.db = db
        self.fetcher = fetcher
        self.allow_private = allow_private

    async def _role(self, user_id: str) -> Role | None:
        async with self.db.session() as session:
            user = await get_user(session, user_id)
        return None if user is None else Role(user.role)

    async def private_ok(self, user_id: str | None, role: Role | None = None) -> bool:
        if self.allow_private or user_id is None:  # None: the owner's environment
            return True
        role = role or await self._role(user_id)
        return role is not None and role.is_admin

    async def check(self, url: str, user_id: str | None, role: Role | None = None) -> None:
        """UNSAFE_URL (with the reason) when this user may not have this engine URL."""
        await self.fetcher.check_url(url, private_ok=await self.private_ok(user_id, role))

    async def check_values(
        self, values: dict[str, str], user_id: str | None, role: Role | None = None
    ) -> None:
        for name, value in values.items():
            if is_url_field(name) and value:
                await self.check(value, user_id, role)
