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

- the outgoing client (aiohttp underneath) passes it from aiohttp's
  ``on_request_headers_sent`` signal, which aiohttp sends with the connection in hand and
  before it serializes or writes anything of the request;
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
from types import SimpleNamespace
from typing import Any

import aiohttp


class SendRefused(Exception):
    """The gate's mark was refused: the request must not leave (another process holds
    the step). Raised through the adapter; the engine gives the step up quietly."""


class SendGate:
    """One submission's gate: ``mark`` runs once, at the first request to leave; requests
    sent side by side (an adapter's concurrent calls) wait for that one mark."""

    def __init__(self, mark: Callable[[], Awaitable[bool]]) -> None:
        self._mark = mark
        self._marking: asyncio.Task[bool] | None = None
        self.passed = False  # the mark was committed (a request may have left)

    async def pass_through(self) -> None:
        if self.passed:
            return
        if self._marking is None:
            self._marking = asyncio.ensure_future(self._mark())
        # shield: a request given up (its task canceled) does not cancel a mark the
        # others may be waiting for.
        if not await asyncio.shield(self._marking):
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


async def _on_headers(_session: aiohttp.ClientSession, _ctx: SimpleNamespace, _params: Any) -> None:
    # Sent by aiohttp's writer before it serializes the request line and headers: nothing
    # of this request has reached the socket yet (aiohttp >= 3.10 buffers the headers).
    await pass_gate()


def wire_trace() -> aiohttp.TraceConfig:
    """The trace config that passes the gate on aiohttp's connections."""
    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(_on_headers)
    return trace
