"""The embedded runner's pacing beside the API: a resizable gate and the pacer's policy."""

from __future__ import annotations

import asyncio

import pytest

from reelforge.jobs.pacing import BUSY, ROOMY, Foreground, Gate, Pacer


async def test_gate_admits_up_to_its_limit_and_wakes_waiters_as_room_appears() -> None:
    gate = Gate(2)
    await gate.enter()
    await gate.enter()
    third = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    assert not third.done() and gate.active == 2
    gate.leave()
    await asyncio.sleep(0)
    assert third.done() and gate.active == 2


async def test_shrinking_the_gate_holds_newcomers_until_the_active_drain() -> None:
    gate = Gate(4)
    for _ in range(3):
        await gate.enter()
    gate.set_limit(2)
    waiting = asyncio.create_task(gate.enter())
    gate.leave()  # 2 active: still no room under a limit of 2
    await asyncio.sleep(0)
    assert not waiting.done()
    gate.leave()  # 1 active: room for one
    await asyncio.sleep(0)
    assert waiting.done() and gate.active == 2


async def test_growing_the_gate_wakes_as_many_waiters_as_fit() -> None:
    gate = Gate(1)
    await gate.enter()
    waiters = [asyncio.create_task(gate.enter()) for _ in range(4)]
    await asyncio.sleep(0)
    gate.set_limit(3)
    await asyncio.sleep(0)
    assert sum(w.done() for w in waiters) == 2 and gate.active == 3
    for w in waiters:
        w.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)


async def test_a_cancelled_waiter_leaves_no_trace() -> None:
    gate = Gate(1)
    await gate.enter()
    waiter = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.leave()
    await gate.enter()  # the room went to a live caller, not the cancelled one
    assert gate.active == 1


def test_pacer_gives_way_only_while_requests_compete_for_a_full_cpu() -> None:
    pacer = Pacer(Gate(64), 64, Foreground(), floor=2)
    busy, roomy, between = BUSY + 0.1, ROOMY - 0.1, (BUSY + ROOMY) / 2
    assert pacer.next_limit(64, busy, requests=True) < 64  # shrinks
    assert pacer.next_limit(2, busy, requests=True) == 2  # never below the floor
    assert pacer.next_limit(10, roomy, requests=True) == 11  # grows back slowly
    assert pacer.next_limit(10, between, requests=True) == 10  # holds
    assert pacer.next_limit(3, busy, requests=False) == 64  # no requests: all at once
    assert pacer.next_limit(64, roomy, requests=True) == 64  # never above the ceiling


def test_foreground_counts_requests_in_flight() -> None:
    fg = Foreground()
    fg.started()
    fg.started()
    fg.finished()
    assert (fg.requests, fg.in_flight) == (2, 1)
