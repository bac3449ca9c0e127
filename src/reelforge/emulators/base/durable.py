"""Emulator task state that outlives a process and is shared by every process of a
deployment (`reelforge serve`, each `reelforge worker`): tables in the deployment's
PostgreSQL database, so workers on several machines answer for each other's tasks, or a
small SQLite file (WAL) for the processes of one machine.

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
cache), so a poll never touches the database. Big inputs (data: URIs, uploads, fetched media)
are stored once by sha256, whatever number of tasks use them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.schema import CreateIndex, CreateTable

from reelforge.emulators.base.durable_tables import (
    BLOBS,
    COUNTERS,
    FILES,
    LOCK_KEY,
    METADATA,
    REQUESTS,
    TASKS,
    sqlite_pragmas,
    store_url,
)

if TYPE_CHECKING:
    from reelforge.emulators.base.tasks import EmuTask

BIG = 1024  # bytes: longer strings and bodies go to the blob table

KEEP_SECONDS = 3 * 24 * 3600.0  # then a record goes (output URLs expire after a day)


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
    """Emulator state shared by every process of a deployment: tables in a SQLite file, or
    in the deployment's own PostgreSQL database (so workers on several machines share it).

    Synchronous on purpose: emulator handlers call it inline, and only on create, mutation,
    first output and a miss, never on a poll.
    """

    def __init__(self, target: Path | str, *, keep_seconds: float = KEEP_SECONDS) -> None:
        url = store_url(target)
        self.url = url
        if url.get_backend_name() == "sqlite":
            if url.database:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(
                url, connect_args={"timeout": 10.0, "check_same_thread": False}
            )
            sa.event.listen(self.engine, "connect", sqlite_pragmas)
        else:
            # A few connections per process: writes are rare and short.
            self.engine = sa.create_engine(url, pool_size=2, max_overflow=4, pool_pre_ping=True)
        self._create_tables()
        self.prune(time.time() - keep_seconds)

    @property
    def path(self) -> Path | None:
        """The SQLite file, when that is where the state is kept."""
        if self.url.get_backend_name() == "sqlite" and self.url.database:
            return Path(self.url.database)
        return None

    def _create_tables(self) -> None:
        """Create-if-missing (emulator state is not in the product's migrations). Processes
        starting together on PostgreSQL take turns: concurrent CREATE ... IF NOT EXISTS can
        still collide there."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            for table in METADATA.sorted_tables:
                conn.execute(CreateTable(table, if_not_exists=True))
                for index in table.indexes:
                    conn.execute(CreateIndex(index, if_not_exists=True))

    def prune(self, before: float) -> None:
        """Forget what was recorded before ``before`` (wall clock), so the store stays small.
        A blob is kept while any request newer than that uses it (each use refreshes it)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(TASKS).where(TASKS.c.created < before))
            conn.execute(sa.delete(REQUESTS).where(REQUESTS.c.created < before))
            conn.execute(sa.delete(FILES).where(FILES.c.request.not_in(sa.select(REQUESTS.c.id))))
            conn.execute(sa.delete(BLOBS).where(BLOBS.c.used < before))

    def close(self) -> None:
        self.engine.dispose()

    async def aclose(self) -> None:
        self.close()

    def _write(self, statement: sa.Executable) -> None:
        with self.engine.begin() as conn:
            conn.execute(statement)

    def _one(self, statement: sa.Select[Any]) -> sa.Row[Any] | None:
        with self.engine.connect() as conn:
            return conn.execute(statement).first()

    def _insert(self, table: sa.Table) -> Any:
        """INSERT with the ON CONFLICT clauses of this store's dialect (both have them)."""
        if self.engine.dialect.name == "postgresql":
            return pg_insert(table)
        return sqlite_insert(table)

    def forget(self, emulator: str) -> None:
        """An emulator's reset: its recorded tasks and files go (blobs may be shared)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(TASKS).where(TASKS.c.emulator == emulator))
            conn.execute(sa.delete(FILES).where(FILES.c.emulator == emulator))

    # -- blobs --------------------------------------------------------------------------
    def _blob(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        insert = self._insert(BLOBS).values(sha=sha, data=data, used=time.time())
        self._write(
            insert.on_conflict_do_update(
                index_elements=[BLOBS.c.sha], set_={"used": insert.excluded.used}
            )
        )
        return sha

    def _unblob(self, sha: str) -> bytes:
        row = self._one(sa.select(BLOBS.c.data).where(BLOBS.c.sha == sha))
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
            with self.engine.begin() as conn:
                ctx.request_id = int(
                    conn.execute(
                        sa.insert(REQUESTS)
                        .values(record=text, created=time.time())
                        .returning(REQUESTS.c.id)
                    ).scalar_one()
                )
        else:
            self._write(
                sa.update(REQUESTS).where(REQUESTS.c.id == ctx.request_id).values(record=text)
            )
        return ctx.request_id

    def load_request(self, request_id: int) -> tuple[RequestRecord, dict[str, bytes]]:
        row = self._one(sa.select(REQUESTS.c.record).where(REQUESTS.c.id == request_id))
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
        made = {"request": request_id, "ordinal": ordinal, "created": created}
        made |= {"idem": task.idempotency_key, "canceled": None, "stuck": False}
        made |= {"failure": None, "deleted": False}
        insert = self._insert(TASKS).values(emulator=emulator, id=task.id, **made)
        self._write(
            insert.on_conflict_do_update(index_elements=[TASKS.c.emulator, TASKS.c.id], set_=made)
        )

    def save_task(self, emulator: str, task: EmuTask, deleted: bool = False) -> None:
        canceled = None
        if task.canceled_at is not None:  # monotonic → wall clock
            canceled = time.time() - (time.monotonic() - task.canceled_at)
        self._write(
            sa.update(TASKS)
            .where(TASKS.c.emulator == emulator, TASKS.c.id == task.id)
            .values(
                canceled=canceled,
                stuck=bool(task.stuck),
                failure=json.dumps(task.failure) if task.failure else None,
                deleted=deleted,
            )
        )

    def drop_task(self, emulator: str, task_id: str) -> None:
        self._write(sa.delete(TASKS).where(TASKS.c.emulator == emulator, TASKS.c.id == task_id))

    def task_request(self, emulator: str, task_id: str) -> int | None:
        row = self._one(
            sa.select(TASKS.c.request).where(
                TASKS.c.emulator == emulator, TASKS.c.id == task_id, TASKS.c.deleted.is_(False)
            )
        )
        return int(row[0]) if row else None

    def task_by_idempotency(self, emulator: str, key: str) -> str | None:
        row = self._one(
            sa.select(TASKS.c.id).where(
                TASKS.c.emulator == emulator, TASKS.c.idem == key, TASKS.c.deleted.is_(False)
            )
        )
        return str(row[0]) if row else None

    def tasks_of(self, emulator: str, request_id: int) -> list[TaskRow]:
        t = TASKS.c
        query = (
            sa.select(t.id, t.ordinal, t.created, t.canceled, t.stuck, t.failure, t.deleted)
            .where(t.emulator == emulator, t.request == request_id)
            .order_by(t.ordinal)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
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
        insert = self._insert(FILES).values(
            emulator=emulator, token=token, task=task_id, request=request_id
        )
        self._write(insert.on_conflict_do_nothing(index_elements=[FILES.c.emulator, FILES.c.token]))

    def files_of(self, emulator: str, task_id: str, prefix: str) -> list[str]:
        """A task's recorded file tokens that start with ``prefix``, in the order made."""
        f = FILES.c
        query = (
            sa.select(f.token)
            .where(
                f.emulator == emulator,
                f.task == task_id,
                f.token.startswith(prefix, autoescape=True),
            )
            .order_by(f.seq)
        )
        with self.engine.connect() as conn:
            return [str(r[0]) for r in conn.execute(query)]

    def next_number(self, emulator: str, name: str, at_least: int) -> int:
        """A counter shared by every process (ComfyUI's output file numbers)."""
        bumped = COUNTERS.c.value + 1
        insert = self._insert(COUNTERS).values(emulator=emulator, name=name, value=at_least)
        upsert = insert.on_conflict_do_update(
            index_elements=[COUNTERS.c.emulator, COUNTERS.c.name],
            set_={"value": sa.case((bumped > at_least, bumped), else_=at_least)},
        ).returning(COUNTERS.c.value)
        with self.engine.begin() as conn:
            return int(conn.execute(upsert).scalar_one())

    def file(self, emulator: str, token: str) -> tuple[str, int] | None:
        row = self._one(
            sa.select(FILES.c.task, FILES.c.request).where(
                FILES.c.emulator == emulator, FILES.c.token == token
            )
        )
        return (str(row[0]), int(row[1])) if row else None

    # -- looking in (tests, diagnostics) --------------------------------------------------
    def submissions(self) -> list[tuple[str, str, str | None, bytes]]:
        """Every recorded task: (emulator, task id, idempotency key, submitted body)."""
        query = sa.select(TASKS.c.emulator, TASKS.c.id, TASKS.c.idem, TASKS.c.request).where(
            TASKS.c.deleted.is_(False)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [(str(e), str(i), k, self.load_request(int(r))[0].body) for e, i, k, r in rows]
