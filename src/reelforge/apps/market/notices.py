"""In-process notice of an order's end, so a waiter (``GET /orders/{id}?wait=``, the
seed's execute) answers the moment its order is delivered or failed here instead of on
its next poll. Orders ended by another process (a Dramatiq worker, another API replica)
are still seen: waiters read the order at least every ``RECHECK`` seconds."""

from __future__ import annotations

import asyncio

RECHECK = 1.0


class OrderEnds:
    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._waiters: dict[str, int] = {}

    def watch(self, order_id: str) -> asyncio.Event:
        """The event set when ``order_id`` ends here; take it BEFORE reading the order, so
        an end between the read and the wait is not missed."""
        event = self._events.get(order_id)
        if event is None:
            event = self._events[order_id] = asyncio.Event()
        self._waiters[order_id] = self._waiters.get(order_id, 0) + 1
        return event

    def unwatch(self, order_id: str) -> None:
        """A waiter is done (its order ended, perhaps elsewhere, or it timed out)."""
        left = self._waiters.get(order_id, 0) - 1
        if left > 0:
            self._waiters[order_id] = left
        else:
            self._waiters.pop(order_id, None)
            self._events.pop(order_id, None)

    def ended(self, order_id: str) -> None:
        event = self._events.pop(order_id, None)
        if event is not None:
            event.set()

    async def wait(self, event: asyncio.Event, timeout: float) -> None:
        try:
            await asyncio.wait_for(event.wait(), min(timeout, RECHECK))
        except TimeoutError:
            pass
