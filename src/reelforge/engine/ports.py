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

    async def own_spend(
        self,
        session: AsyncSession,
        *,
        owner_id: str,
        run_id: str,
        step_id: str,
        provider: str,
        model: str,
        amount_micros: int,
    ) -> int:
        """Record a step's cost on the user's own key (no plan credits); returns it."""

    async def check_budget(
        self,
        session: AsyncSession,
        *,
        owner_id: str,
        own_by_provider: dict[str, int],
        own_total: int,
    ) -> list[str]:
        """Raise BUDGET_EXCEEDED past a hard budget; return soft-threshold warnings."""

    async def role_of(self, session: AsyncSession, owner_id: str) -> str | None:
        """The user's role (whose environment keys are their own: the owner's)."""
