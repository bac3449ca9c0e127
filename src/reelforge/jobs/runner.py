"""The Runner interface: the embedded asyncio scheduler and the Dramatiq runner both
implement it; the API and CLI only ever talk to this."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from reelforge.engine.collect import RunEnd
from reelforge.engine.service import CreatedRun


class Runner(Protocol):
    # Whether this process submits the steps it stores itself (so their lease can be
    # stored with their run: RunService.create_run(launch=True)).
    launches: bool

    async def start(self) -> None:
        """Begin work; rescan unfinished steps so a restart loses nothing."""

    async def stop(self) -> None: ...

    async def enqueue(
        self, step_ids: Iterable[str], at: float | None = None, *, at_provider: bool = False
    ) -> None:
        """Advance these steps now (or at epoch time ``at``). ``at_provider``: they are under
        way at a provider already (a callback, a cancel): never held back as new work."""

    async def enqueue_created(self, created: CreatedRun) -> None:
        """Start a run this process just stored: its steps that can start now."""

    async def wait_run(self, run_id: str, timeout: float, *, new: bool = False) -> RunEnd | bool:
        """Wait until the run is terminal (True, or the run as it ended when this process
        ended it) or ``timeout`` passes (False). ``new``: the caller has just enqueued the
        run, so it cannot have ended yet."""
