"""The engine's billing port (engine.ports.RunBilling) over the ledger's holds.

Idempotency keys are derived from the run and step, so an advance repeated after a crash
books nothing twice. A run that holds nothing (free: local engines, sandbox) places no hold,
and its captures of 0 book nothing.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing import budgets, charges, holds, own_keys


class LedgerRunBilling:
    async def hold(
        self, session: AsyncSession, *, owner_id: str, run_id: str, amount_micros: int
    ) -> None:
        if amount_micros > 0:
            await holds.place_hold(session, owner_id, run_id, amount_micros, f"hold:{run_id}")

    async def capture(
        self,
        session: AsyncSession,
        *,
        owner_id: str,
        run_id: str,
        step_id: str,
        amount_micros: int,
    ) -> int:
        if amount_micros <= 0 or await holds.get_hold(session, run_id) is None:
            return 0
        charge = await charges.capture(session, run_id, step_id, amount_micros)
        return int(charge.charged_micros)

    async def release(self, session: AsyncSession, *, owner_id: str, run_id: str) -> int:
        hold = await holds.release(session, run_id)
        return 0 if hold is None else int(hold.released_micros)

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
        return await own_keys.record_own_spend(
            session,
            owner_id=owner_id,
            run_id=run_id,
            step_id=step_id,
            provider=provider,
            model=model,
            amount_micros=amount_micros,
        )

    async def check_budget(
        self,
        session: AsyncSession,
        *,
        owner_id: str,
        own_by_provider: dict[str, int],
        own_total: int,
    ) -> list[str]:
        return await budgets.check(session, owner_id, own_by_provider, own_total)

    async def role_of(self, session: AsyncSession, owner_id: str) -> str | None:
        return await own_keys.user_role(session, owner_id)
