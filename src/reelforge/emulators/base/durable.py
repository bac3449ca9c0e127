"""Emulator task state that outlives a process: a small SQLite file (WAL) that every
process of a deployment on the machine opens (`reelforge serve`, each `reelforge worker`).

Tasks are state as a function of time plus the request that made them, so what is kept is
that request (method, path, headers, body, and the input media it fetched), the task's id,
wall-clock creation time and the mutations since (cancel, stuck, failure, deletion).
A process that is asked about a task it does not hold replays the recorded submission
through the emulator app (no faults, callbacks or waits; the same id and creation time),
which rebuilds everything the handler keeps beside the task (render functions, provider
fields). Output files get tokens derived from their task, so a replay registers the same
URLs; the request that first produced a file is kept too, and replayed when that URL is
downloaded in a process that never rendered it.

Writes happen on create, mutation and first output; reads only on a miss (memory is the
cache), so a poll never touches the disk. Big inputs (data: URIs, uploads, fetched media)
are stored once by sha256, whatever number of tasks use them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelforge.emulators.base.tasks import EmuTask

BIG = 1024  # bytes: longer strings and bodies go to the blob table

KEEP_SECONDS = 3 * 24 * 3600.0  # then a record goes (output URLs expire after a day)

SCHEMA = """
CREATE TABLE IF NOT EXISTS blobs (sha TEXT PRIMARY KEY, data BLOB NOT NULL, used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY, record TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    emulator TEXT NOT NULL, id TEXT NOT NULL, request INTEGER NOT NULL,
    ordinal INTEGER NOT NULL, created REAL NOT NULL, idem TEXT,
    canceled REAL, stuck INTEGER NOT NULL DEFAULT 0, failure TEXT,
    deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (emulator, id));
CREATE INDEX IF NOT EXISTS tasks_by_request ON tasks (request);
CREATE INDEX IF NOT EXISTS tasks_by_idem ON tasks (emulator, idem);
CREATE TABLE IF NOT EXISTS counters (
    emulator TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (emulator, name));
CREATE TABLE IF NOT EXISTS files (
    emulator TEXT NOT NULL, token TEXT NOT NULL, task TEXT NOT NULL,
    request INTEGER NOT NULL, PRIMARY KEY (emulator, token));
"""


@dataclass
class RequestRecord:
    method: str
    path: str  # inside the emulator app (without any mount prefix)
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class TaskRow:
    id: str
    ordinal: int
    created: float  # wall clock
    canceled: float | None
    stuck: bool
    failure: tuple[str, str] | None
    deleted: bool


@dataclass
class Replay:
    rows: list[TaskRow]  # the tasks the replayed request made, by ordinal
    inputs: dict[str, bytes]  # input media it fetched, by reference
    created: int = 0


@dataclass
class RequestContext:
    """The request being handled (or replayed) by one emulator."""

    record: RequestRecord
    replay: Replay | None = None
    task: EmuTask | None = None  # the task it last made or looked up (owns new files)
    inputs: dict[str, bytes] = field(default_factory=dict)  # media fetched by URL
    request_id: int | None = None
    created: int = 0
    made: list[EmuTask] = field(default_factory=list)  # undone if the request is run again


CURRENT: ContextVar[RequestContext | None] = ContextVar("emulator_request", default=None)


class NeedsRestore(BaseException):
    """Raised inside a handler: a task (or file) this process does not hold is on record."""

    def __init__(self, task_id: str | None = None, token: str | None = None) -> None:
        super().__init__(task_id or token)
        self.task_id = task_id
        self.token = token


def file_token(emulator: str, task_id: str, n: int) -> str:
    """The n-th output file of a task: the same in every process and after a replay."""
    digest = hashlib.sha256(f"{emulator}\x00{task_id}\x00{n}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


class DurableStore:
    """One SQLite file shared by every emulator of every process on the machine."""

    def __init__(self, path: Path, *, keep_seconds: float = KEEP_SECONDS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=10.0, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self.prune(time.time() - keep_seconds)

    def prune(self, before: float) -> None:
        """Forget what was recorded before ``before`` (wall clock), so the file stays small.
        A blob is kept while any request newer than that uses it (each use refreshes it)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM tasks WHERE created < ?", (before,))
            self._db.execute("DELETE FROM requests WHERE created < ?", (before,))
            self._db.execute("DELETE FROM files WHERE request NOT IN (SELECT id FROM requests)")
            self._db.execute("DELETE FROM blobs WHERE used < ?", (before,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    async def aclose(self) -> None:
        self.close()

    def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        with self._lock, self._db:
            return int(self._db.execute(sql, args).lastrowid or 0)

    def _one(self, sql: str, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return tuple(row) if row is not None else None

    def forget(self, emulator: str) -> None:
        """An emulator's reset: its recorded tasks and files go (blobs may be shared)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM tasks WHERE emulator = ?", (emulator,))
            self._db.execute("DELETE FROM files WHERE emulator = ?", (emulator,))

    # -- blobs --------------------------------------------------------------------------
    def _blob(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self._write(
            "INSERT INTO blobs (sha, data, used) VALUES (?, ?, ?)"
            " ON CONFLICT (sha) DO UPDATE SET used = excluded.used",
            (sha, data, time.time()),
        )
        return sha

    def _unblob(self, sha: str) -> bytes:
        row = self._one("SELECT data FROM blobs WHERE sha = ?", (sha,))
        if row is None:
            raise KeyError(sha)
        return bytes(row[0])

    def _pack(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > BIG and value.startswith("data:"):
            return {"$blob": self._blob(value.encode())}
        if isinstance(value, dict):
            return {k: self._pack(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._pack(v) for v in value]
        return value

    def _unpack(self, value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$blob"}:
                return self._unblob(value["$blob"]).decode()
            return {k: self._unpack(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._unpack(v) for v in value]
        return value

    # -- requests -----------------------------------------------------------------------
    def save_request(self, ctx: RequestContext) -> int:
        """Store (or refresh, as it fetches more inputs) the context's request."""
        rec = ctx.record
        body: dict[str, Any]
        try:
            body = {"json": self._pack(json.loads(rec.body))} if rec.body else {"raw": ""}
        except ValueError:
            body = (
                {"blob": self._blob(rec.body)}
                if len(rec.body) > BIG
                else {"raw": base64.b64encode(rec.body).decode()}
            )
        record = {
            "method": rec.method,
            "path": rec.path,
            "query": rec.query.decode("latin-1"),
            "headers": [
                [k.decode("latin-1"), v.decode("latin-1")]
                for k, v in rec.headers
                if k.lower() not in (b"content-length", b"prefer")  # a replay never waits
            ],
            "body": body,
            "inputs": {ref: self._blob(data) for ref, data in ctx.inputs.items()},
        }
        text = json.dumps(record)
        if ctx.request_id is None:
            ctx.request_id = self._write(
                "INSERT INTO requests (record, created) VALUES (?, ?)", (text, time.time())
            )
        else:
            self._write("UPDATE requests SET record = ? WHERE id = ?", (text, ctx.request_id))
        return ctx.request_id

    def load_request(self, request_id: int) -> tuple[RequestRecord, dict[str, bytes]]:
        row = self._one("SELECT record FROM requests WHERE id = ?", (request_id,))
        if row is None:
            raise KeyError(request_id)
        record = json.loads(row[0])
        stored = record["body"]
        if "json" in stored:
            body = json.dumps(self._unpack(stored["json"])).encode()
        elif "blob" in stored:
            body = self._unblob(stored["blob"])
        else:
            body = base64.b64decode(stored["raw"])
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record["headers"]]
        headers.append((b"content-length", str(len(body)).encode()))
        rec = RequestRecord(
            record["method"], record["path"], record["query"].encode("latin-1"), headers, body
        )
        return rec, {ref: self._unblob(sha) for ref, sha in record["inputs"].items()}

    # -- tasks --------------------------------------------------------------------------
    def add_task(
        self, emulator: str, task: EmuTask, request_id: int, ordinal: int, created: float
    ) -> None:
        self._write(
            "INSERT OR REPLACE INTO tasks (emulator, id, request, ordinal, created, idem)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (emulator, task.id, request_id, ordinal, created, task.idempotency_key),
        )

    def save_task(self, emulator: str, task: EmuTask, deleted: bool = False) -> None:
        canceled = None
        if task.canceled_at is not None:  # monotonic → wall clock
            canceled = time.time() - (time.monotonic() - task.canceled_at)
        self._write(
            "UPDATE tasks SET canceled = ?, stuck = ?, failure = ?, deleted = ?"
            " WHERE emulator = ? AND id = ?",
            (
                canceled,
                int(task.stuck),
                json.dumps(task.failure) if task.failure else None,
                int(deleted),
                emulator,
                task.id,
            ),
        )

    def drop_task(self, emulator: str, task_id: str) -> None:
        self._write("DELETE FROM tasks WHERE emulator = ? AND id = ?", (emulator, task_id))

    def task_request(self, emulator: str, task_id: str) -> int | None:
        row = self._one(
            "SELECT request FROM tasks WHERE emulator = ? AND id = ? AND deleted = 0",
            (emulator, task_id),
        )
        return int(row[0]) if row else None

    def task_by_idempotency(self, emulator: str, key: str) -> str | None:
        row = self._one(
            "SELECT id FROM tasks WHERE emulator = ? AND idem = ? AND deleted = 0", (emulator, key)
        )
        return str(row[0]) if row else None

    def tasks_of(self, emulator: str, request_id: int) -> list[TaskRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, ordinal, created, canceled, stuck, failure, deleted FROM tasks"
                " WHERE emulator = ? AND request = ? ORDER BY ordinal",
                (emulator, request_id),
            ).fetchall()
        return [
            TaskRow(
                id=r[0],
                ordinal=r[1],
                created=r[2],
                canceled=r[3],
                stuck=bool(r[4]),
                failure=tuple(json.loads(r[5])) if r[5] else None,  # type: ignore[arg-type]
                deleted=bool(r[6]),
            )
            for r in rows
        ]

    # -- files --------------------------------------------------------------------------
    def add_file(self, emulator: str, token: str, task_id: str, request_id: int) -> None:
        self._write(
            "INSERT OR IGNORE INTO files (emulator, token, task, request) VALUES (?, ?, ?, ?)",
            (emulator, token, task_id, request_id),
        )

    def files_of(self, emulator: str, task_id: str, prefix: str) -> list[str]:
        """A task's recorded file tokens that start with ``prefix``, in the order made."""
        with self._lock:
            rows = self._db.execute(
                "SELECT token FROM files WHERE emulator = ? AND task = ? AND token LIKE ?"
                " ORDER BY rowid",
                (emulator, task_id, prefix.replace("%", r"\%") + "%"),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def next_number(self, emulator: str, name: str, at_least: int) -> int:
        """A counter shared by every process (ComfyUI's output file numbers)."""
        with self._lock, self._db:
            row = self._db.execute(
                "INSERT INTO counters (emulator, name, value) VALUES (?, ?, ?)"
                " ON CONFLICT (emulator, name) DO UPDATE SET value = max(value + 1, ?)"
                " RETURNING value",
                (emulator, name, at_least, at_least),
            ).fetchone()
        return int(row[0])

    def file(self, emulator: str, token: str) -> tuple[str, int] | None:
        row = self._one(
            "SELECT task, request FROM files WHERE emulator = ? AND token = ?", (emulator, token)
        )
        return (str(row[0]), int(row[1])) if row else None
