"""What the engine needs from billing, as a protocol (the ledger implements it)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class RunBilling(Protocol):
    """Holds for runs. Every call runs inside the caller's transaction and never commits."""

    async def hold(
        self, session: AsyncSession, *, owner_id: str, run_id: str, amount_micros: int
    ) -> None:
        """Reserve the run's quote; raise INSUFFICIENT_FUNDS when it cannot be covered."""

    async def capture(
        self,
        session: AsyncSession,
        *,
        owner_id: str,
        run_id: str,
        step_id: str,
        amount_micros: int,
    ) -> int:
        """Charge a finished step from the run's hold; returns what was captured."""

    async def release(self, session: AsyncSession, *, owner_id: str, run_id: str) -> int:
        """Return what is left of the run's hold; returns the amount released."""
