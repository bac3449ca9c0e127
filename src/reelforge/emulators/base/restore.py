"""The middleware that makes durable emulator state work: it records each request, and
when a handler meets a task (or output file) that is on record but not held in this
process, it rebuilds it by replaying the recorded request, then runs the request again.

A handler signals that with NeedsRestore before it answers anything, so running it again
is safe; the replay's own answer is thrown away.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelforge.emulators.base.durable import (
    CURRENT,
    NeedsRestore,
    Replay,
    RequestContext,
    RequestRecord,
    TaskRow,
)

if TYPE_CHECKING:
    from reelforge.emulators.base.state import EmulatorState

MAX_DEPTH = 4  # a task whose request needs another restored task (Luma extend, ...)
MAX_ATTEMPTS = 6


class RestoreMiddleware:
    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.state.durable is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        record = RequestRecord(
            scope["method"], scope_route_path(scope), scope["query_string"], scope["headers"], body
        )
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        for _ in range(MAX_ATTEMPTS):
            ctx = RequestContext(record)
            token = CURRENT.set(ctx)
            try:
                await self.app(scope, _replay_receive(body, receive), tracked)
                return
            except NeedsRestore as need:
                if started:
                    raise
                for task in ctx.made:  # it runs again from the start
                    self.state.tasks.undo(task)
                await self.restore(need, scope, 0)
            finally:
                CURRENT.reset(token)
        await self.app(scope, _replay_receive(body, receive), send)

    # -- rebuilding ---------------------------------------------------------------------
    async def restore(self, need: NeedsRestore, scope: Scope, depth: int) -> None:
        if need.task_id is not None:
            await self._restore_task(need.task_id, scope, depth)
        elif need.token is not None:
            await self._restore_file(need.token, scope, depth)

    async def _restore_task(self, task_id: str, scope: Scope, depth: int) -> None:
        state, durable = self.state, self.state.durable
        assert durable is not None
        request_id = durable.task_request(state.name, task_id)
        if request_id is not None and depth <= MAX_DEPTH:
            rows = await self._replay(request_id, scope, depth)
            for row in rows:  # what happened to each since it was made
                task = state.tasks.tasks.get(row.id)
                if task is None:
                    continue
                if row.deleted:
                    state.tasks.tasks.pop(row.id, None)
                    continue
                task.stuck = task.stuck or row.stuck
                task.failure = row.failure or task.failure
                if row.canceled is not None:
                    task.canceled_at = time.monotonic() - (time.time() - row.canceled)
        if task_id not in state.tasks.tasks:
            state.tasks.lost.add(task_id)

    async def _restore_file(self, token: str, scope: Scope, depth: int) -> None:
        state, durable = self.state, self.state.durable
        assert durable is not None
        found = durable.file(state.name, token)
        if found is not None and depth <= MAX_DEPTH:
            task_id, request_id = found
            if task_id not in state.tasks.tasks:
                await self._restore_task(task_id, scope, depth)
            if not state.files.held(token) and task_id in state.tasks.tasks:
                await self._replay(request_id, scope, depth)
        if not state.files.held(token):
            state.files.lost.add(token)

    async def _replay(self, request_id: int, scope: Scope, depth: int) -> list[TaskRow]:
        """Run a recorded request again (its answer dropped); the tasks it made, on record."""
        durable = self.state.durable
        assert durable is not None
        record, inputs = durable.load_request(request_id)
        rows = durable.tasks_of(self.state.name, request_id)
        root = str(scope.get("root_path", ""))
        path = root.rstrip("/") + record.path
        replay_scope: Scope = {
            **scope,
            "method": record.method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": record.query,
            "headers": record.headers,
        }
        replay_scope.pop("endpoint", None)
        replay_scope.pop("path_params", None)
        replay_scope.pop("route", None)

        async def discard(_message: Message) -> None:
            return None

        for _ in range(MAX_ATTEMPTS):
            token = CURRENT.set(RequestContext(record, replay=Replay(rows, inputs)))
            try:
                await self.app(replay_scope, _replay_receive(record.body, None), discard)
                break
            except NeedsRestore as need:  # it depends on another recorded task
                await self.restore(need, scope, depth + 1)
            finally:
                CURRENT.reset(token)
        return rows


def scope_route_path(scope: Scope) -> str:
    """The path inside the app, without the prefix it is mounted under (``root_path``)."""
    path: str = scope["path"]
    root = str(scope.get("root_path", "")).rstrip("/")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :] or "/"
    return path


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay_receive(body: bytes, receive: Receive | None) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if receive is not None:
            return await receive()
        await asyncio.Event().wait()  # a replay never disconnects; its answer is dropped
        return {"type": "http.disconnect"}

    return replayed
