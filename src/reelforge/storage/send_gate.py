"""The send gate: a submission's "sent" mark written at the last moment before its
request's first byte leaves (issue 25, defect 1).

A provider that cannot take the same request twice, and offers no way to find a task
again (fal, MiniMax, Together), leaves one question after a crash: did the request leave?
The engine answers it with a mark (``steps.sent_at``) committed before the request is
sent. Whatever runs between the committed mark and the bytes leaving is a window where a
crash leaves a step marked sent that the provider never saw, which then has to fail
(``interrupted_submit``) rather than risk a second charge. Marking before the adapter's
call put the adapter's own work and the wait for a pooled connection inside that window
(in a chaos run, about 1 run in 200 with 10 kills).

So the engine opens a gate around the adapter's ``submit`` and the transport passes it:

- the providers' outgoing client (aiohttp underneath) passes it in its request's
  ``send``, which aiohttp calls with the connection in hand, before it serializes or
  writes anything of the request;
- any other transport (an in-process emulator, a proxy, a test's plain client) is passed
  by ``providers.http.send`` just before the request is handed to the client.

Only the first request of a submission passes the gate (an upload before the create call
is marked, conservatively). When the mark is refused (the step's lease was taken back by
another process) the request is not sent: ``SendRefused`` comes out of the adapter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import aiohttp
from aiohttp.connector import Connection


class SendRefused(Exception):
    """The gate's mark was refused: the request must not leave (another process holds
    the step). Raised through the adapter; the engine gives the step up quietly."""


class SendGate:
    """One submission's gate: ``mark`` runs once, at the first request to leave; requests
    sent side by side (an adapter's concurrent calls) wait for that one mark."""

    def __init__(self, mark: Callable[[], Awaitable[bool]]) -> None:
        self._mark = mark
        self._marked: asyncio.Future[bool] | None = None
        self.passed = False  # the mark was committed (a request may have left)

    async def pass_through(self) -> None:
        if self.passed:
            return
        if self._marked is None:
            # The first request marks, in the requesting task: once the commit is durable, every
            # turn of the event loop before the write widens the crash window, so there
            # is no task or shield in between.
            self._marked = asyncio.get_running_loop().create_future()
            try:
                ok = await self._mark()
            except BaseException as exc:
                self._marked.set_exception(exc)
                self._marked.exception()  # retrieved: no "never retrieved" warning
                raise
            self._marked.set_result(ok)
        else:
            ok = await asyncio.shield(self._marked)  # a request sent side by side
        if not ok:
            raise SendRefused("the step's lease was taken back before its request left")
        self.passed = True


_GATE: ContextVar[SendGate | None] = ContextVar("reelforge_send_gate", default=None)


@contextmanager
def gated(gate: SendGate | None) -> Iterator[SendGate | None]:
    """Requests made inside (by this task and the tasks it starts) pass ``gate``."""
    token = _GATE.set(gate)
    try:
        yield gate
    finally:
        _GATE.reset(token)


def current() -> SendGate | None:
    """The open gate, when it has not been passed yet."""
    gate = _GATE.get()
    return gate if gate is not None and not gate.passed else None


async def pass_gate() -> None:
    """Pass the open gate, if any: the mark is committed before this returns."""
    gate = current()
    if gate is not None:
        await gate.pass_through()


class GatedRequest(aiohttp.ClientRequest):
    """aiohttp's request, passing the open gate (if any) once the connection is in hand
    and before anything of the request is serialized or written. A request class rather
    than a trace config: a trace's signals cost every request about 45 us of CPU
    (bench/bench_send_gate.py), this costs a context-variable read."""

    async def send(self, conn: Connection) -> aiohttp.ClientResponse:
        if _GATE.get() is not None:
            await pass_gate()
        return await super().send(conn)
