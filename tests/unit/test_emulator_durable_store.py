"""The emulators' durable store keeps requests compactly: a big data: URI is stored once
however many requests carry it, a request reads back as it was sent, old records go."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

from reelforge.emulators.base.durable import DurableStore, RequestContext, RequestRecord
from reelforge.emulators.base.durable_tables import store_url
from reelforge.settings import Settings

IMAGE = "data:image/png;base64," + base64.b64encode(bytes(range(256)) * 64).decode()


def _context(prompt: str) -> RequestContext:
    body = json.dumps({"prompt": prompt, "image": IMAGE, "n": 1}).encode()
    headers = [(b"content-type", b"application/json"), (b"prefer", b"wait")]
    return RequestContext(RequestRecord("POST", "/v1/go", b"a=1", headers, body))


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT count(*) FROM emulator_{table}").fetchone()[0])


def test_a_big_input_is_stored_once_and_requests_read_back(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    store = DurableStore(path)
    first, second = _context("a fox"), _context("a cat")
    first.inputs["http://media/x.png"] = b"fetched bytes"
    ids = [store.save_request(first), store.save_request(second)]
    assert _count(path, "blobs") == 2  # the data: URI once, the fetched input once
    record, inputs = store.load_request(ids[1])
    assert json.loads(record.body) == {"prompt": "a cat", "image": IMAGE, "n": 1}
    assert (record.method, record.path, record.query) == ("POST", "/v1/go", b"a=1")
    assert (b"prefer", b"wait") not in record.headers  # a replay never waits
    assert inputs == {}
    assert store.load_request(ids[0])[1] == {"http://media/x.png": b"fetched bytes"}
    store.close()


def test_old_records_are_pruned_when_the_store_opens(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.db"
    store = DurableStore(path)
    store.save_request(_context("old"))
    store.close()
    assert _count(path, "requests") == 1 and _count(path, "blobs") == 1
    reopened = DurableStore(path, keep_seconds=-1.0)  # all of it is older than now + 1 s
    reopened.close()
    assert _count(path, "requests") == 0 and _count(path, "blobs") == 0


def test_sandbox_state_defaults_to_the_deployment_database_when_it_is_postgresql(
    tmp_path: Path,
) -> None:
    pg = "postgresql+asyncpg://u@db.internal:5432/reelforge?ssl=require"
    assert Settings(home=tmp_path).resolved_sandbox_state == tmp_path / "sandbox.db"
    assert Settings(home=tmp_path, database_url=pg).resolved_sandbox_state == pg
    assert Settings(home=tmp_path, sandbox_state="memory").resolved_sandbox_state is None
    on_sqlite = Settings(home=tmp_path, sandbox_state="database").resolved_sandbox_state
    assert on_sqlite == f"sqlite+aiosqlite:///{tmp_path / 'reelforge.db'}"
    # The store reaches the same database with a sync driver (libpq's name for ssl).
    url = store_url(pg)
    assert (url.drivername, url.host, url.database) == (
        "postgresql+psycopg",
        "db.internal",
        "reelforge",
    )
    assert dict(url.query) == {"sslmode": "require"}
    assert store_url(str(on_sqlite)).drivername == "sqlite"
