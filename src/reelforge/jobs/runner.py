"""The Runner interface: the embedded asyncio scheduler and the Dramatiq runner both
implement it; the API and CLI only ever talk to this."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from reelforge.engine.service import CreatedRun


class Runner(Protocol):
    async def start(self) -> None:
        """Begin work; rescan unfinished steps so a restart loses nothing."""

    async def stop(self) -> None: ...

    async def enqueue(self, step_ids: Iterable[str], at: float | None = None) -> None:
        """Advance these steps now (or at epoch time ``at``)."""

    async def enqueue_created(self, created: CreatedRun) -> None:
        """Start a run this process just stored: its steps that can start now."""

    async def wait_run(self, run_id: str, timeout: float, *, new: bool = False) -> bool:
        """Wait until the run is terminal (True) or ``timeout`` passes (False). ``new``: the
        caller has just enqueued the run, so it cannot have ended yet."""
