"""The one-time sign-in link ``reelforge serve`` prints (as Jupyter does) and
``reelforge login-url`` makes anew: a login token bound to the local owner's key."""

from __future__ import annotations

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.settings import Settings
from reelforge.storage.db import Database
from reelforge.storage.web_sessions import create_login_token, key_id_for


async def owner_login_token(db: Database, settings: Settings) -> str:
    """A fresh token for the owner's key in ``<home>/owner.key`` (15 minutes, once)."""
    path = settings.owner_key_path
    key = path.read_text().strip() if path.exists() else ""
    async with db.transaction() as session:
        key_id = await key_id_for(session, key) if key else None
        if key_id is None:
            raise ReelForgeError(
                ErrorCode.AUTH_FAILED,
                f"No valid owner key in {path}.",
                remediation=(
                    "Start `reelforge serve` with this REELFORGE_HOME once: it writes the "
                    "owner key and prints a sign-in link.",
                ),
                detail={"path": str(path)},
            )
        return await create_login_token(session, key_id)


def login_url(
    settings: Settings, token: str, host: str | None = None, port: int | None = None
) -> str:
    host = host or settings.host
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 (a comparison, not a bind)
        host = "127.0.0.1"  # listening everywhere: this machine's browser uses loopback
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port or settings.port}/login?token={token}"
