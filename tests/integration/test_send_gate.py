"""The send gate (issue 25, defect 1): a submission's sent mark is committed after the
adapter has done its own work and holds a connection, and before any byte of the request
reaches the provider. A kill before the mark leaves a step that was never sent (it starts
again); the window after it is the few instructions between the commit and the write.

Checked at the socket: a raw TCP server counts the bytes it has received while the mark
runs; and for every provider that cannot take a request twice, over its emulator on
127.0.0.1, through the deployment's own provider client: the emulator has not seen the
submission when the mark is written, the mark is written once, and a refused mark sends
nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from reelforge.app import open_container
from reelforge.container import Container
from reelforge.engine.advance import Engine
from reelforge.engine.launch import Launch
from reelforge.engine.pipeline import Pipeline
from reelforge.providers.http import send
from reelforge.storage import identity
from reelforge.storage.http_client import outgoing_client
from reelforge.storage.run_tables import RunRow, StepRow
from reelforge.storage.send_gate import SendGate, SendRefused, gated
from tests.chaos import emulators, live_settings
from tests.integration.test_submit_recovery import MODELS as RECOVERY_MODELS

TIMEOUT = httpx.Timeout(5.0)
# Every provider whose lost submissions are not settled by sending again (engine.recovery):
# the mark decides what a restart does with them.
MARKED = sorted(p for p, (_model, how) in RECOVERY_MODELS.items() if how != "idempotent")


class Counting(asyncio.Protocol):
    """A raw HTTP/1.1 server: counts what it receives, answers each request 200."""

    received = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        type(self).received += len(data)
        if b"\r\n\r\n" in data:
            assert isinstance(self.transport, asyncio.Transport)
            body = b"{}"
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            self.transport.write(head + body)


@pytest.fixture
async def counting() -> AsyncIterator[str]:
    Counting.received = 0
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Counting, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/submit"
    finally:
        server.close()
        await server.wait_closed()


async def test_nothing_of_the_request_has_left_while_the_mark_is_written(counting: str) -> None:
    client = outgoing_client(timeout=TIMEOUT, trust_env=False, send_gate_on_wire=True)
    seen_at_mark: list[int] = []

    async def mark() -> bool:
        await asyncio.sleep(0.05)  # a slow commit: a write already started would land now
        seen_at_mark.append(Counting.received)
        return True

    try:
        # A warm connection first: the pooled one is used, as for a busy provider.
        assert (await send(client, "test", "GET", counting)).status_code == 200
        before = Counting.received
        gate = SendGate(mark)
        with gated(gate):
            response = await send(client, "test", "POST", counting, json={"prompt": "x" * 512})
            await send(client, "test", "POST", counting, json={"second": True})
    finally:
        await client.aclose()
    assert response.status_code == 200
    assert seen_at_mark == [before]  # marked once, before a byte of it was received
    assert Counting.received > before + 512
    assert gate.passed


async def test_a_refused_mark_sends_nothing_and_leaves_the_client_usable(counting: str) -> None:
    client = outgoing_client(timeout=TIMEOUT, trust_env=False, send_gate_on_wire=True)

    async def refuse() -> bool:
        return False

    try:
        assert (await send(client, "test", "GET", counting)).status_code == 200
        before = Counting.received
        with gated(SendGate(refuse)), pytest.raises(SendRefused):
            await send(client, "test", "POST", counting, json={"prompt": "never sent"})
        await asyncio.sleep(0.05)
        assert Counting.received == before
        assert (await send(client, "test", "GET", counting)).status_code == 200
    finally:
        await client.aclose()


async def test_a_client_without_the_trace_is_gated_before_the_request(counting: str) -> None:
    seen_at_mark: list[int] = []

    async def mark() -> bool:
        seen_at_mark.append(Counting.received)
        return True

    async with httpx.AsyncClient(timeout=TIMEOUT) as plain:
        gate = SendGate(mark)
        with gated(gate):
            await send(plain, "test", "POST", counting, json={"a": 1})
    assert seen_at_mark == [0]
    assert gate.passed


def test_only_the_providers_client_passes_the_gate_on_the_connection() -> None:
    from reelforge.storage.http_client import gates_on_wire

    assert gates_on_wire(outgoing_client(timeout=TIMEOUT, send_gate_on_wire=True))
    assert not gates_on_wire(outgoing_client(timeout=TIMEOUT))  # then send() passes it
    assert not gates_on_wire(httpx.AsyncClient())


@pytest.fixture
def served() -> Iterator[dict[str, tuple[str, Any]]]:
    with emulators(MARKED) as found:
        yield found


@pytest.fixture
async def box(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: dict[str, tuple[str, Any]]
) -> AsyncIterator[Container]:
    settings = live_settings(tmp_path / "home", served, monkeypatch)
    async with open_container(settings, start_runner=True) as container:
        yield container


async def finished(container: Container, run_id: str) -> StepRow:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        async with container.db.session() as s:
            run = (await s.execute(select(RunRow).where(RunRow.id == run_id))).scalar_one()
            if run.status in ("succeeded", "failed", "canceled"):
                step = (
                    await s.execute(select(StepRow).where(StepRow.run_id == run_id))
                ).scalar_one()
                s.expunge(step)
                return step
        await asyncio.sleep(0.1)
    async with container.db.session() as s:
        rows = (await s.execute(select(StepRow).where(StepRow.run_id == run_id))).scalars()
        states = [(r.model, r.status, r.error, r.next_at) for r in rows]
    raise AssertionError(f"run {run_id} did not finish: {states}")


async def test_every_marked_provider_is_marked_before_its_emulator_sees_the_request(
    box: Container, served: dict[str, tuple[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, list[int]] = {}
    original = Engine.mark_sent

    async def watched(self: Engine, launch: Launch) -> bool:
        provider = launch.entry.provider
        seen.setdefault(provider, []).append(served[provider][1].tasks.submissions["total"])
        return await original(self, launch)

    monkeypatch.setattr(Engine, "mark_sent", watched)
    async with box.db.session() as s:
        owner = await identity.find_owner(s)
    assert owner is not None
    for provider in MARKED:
        model = RECOVERY_MODELS[provider][0]
        before = served[provider][1].tasks.submissions["total"]
        node = {"id": "n", "model": model, "prompt": f"gate {provider}", "max_micros": 2_000_000}
        created = await box.runs.create_run(owner.id, Pipeline.model_validate({"nodes": [node]}))
        await box.runner.enqueue_created(created)
        step = await finished(box, created.run_id)
        assert step.status == "succeeded", (provider, step.error)
        assert seen.get(provider) == [before], (provider, seen.get(provider), before)
        assert served[provider][1].tasks.submissions["total"] == before + 1, provider
        assert step.sent_at is not None, provider
