"""First start makes the data directory: database, secret and owner key (0600)."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from reelforge.app import open_container
from tests.conftest import make_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_first_start_creates_home(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "h")
    async with open_container(settings) as c:
        key = settings.owner_key_path.read_text().strip()
        secret = settings.secret_path.read_text().strip()
        async with c.db.session() as s:
            assert (await s.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await s.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            users = (await s.execute(text("SELECT count(*) FROM users"))).scalar()
    assert users == 1
    assert (tmp_path / "h" / "reelforge.db").exists()
    assert mode(settings.owner_key_path) == 0o600 and mode(settings.secret_path) == 0o600
    assert key.startswith("rf_") and len(secret) >= 32

    # A second start reuses both and makes no second owner.
    async with open_container(settings) as c:
        async with c.db.session() as s:
            assert (await s.execute(text("SELECT count(*) FROM users"))).scalar() == 1
    assert settings.owner_key_path.read_text().strip() == key
    assert settings.secret_path.read_text().strip() == secret


async def test_lost_owner_key_is_replaced(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "h")
    async with open_container(settings):
        pass
    old = settings.owner_key_path.read_text()
    settings.owner_key_path.write_text("rf_not-a-key\n")
    async with open_container(settings):
        pass
    new = settings.owner_key_path.read_text()
    assert new != old and new.startswith("rf_") and mode(settings.owner_key_path) == 0o600
