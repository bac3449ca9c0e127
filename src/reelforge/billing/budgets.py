"""Optional budgets on spend with a user's own provider keys (as LiteLLM's budgets: a
soft threshold that warns, a hard one that stops).

A budget is per user (every own key together; ``provider`` is ``""``) or per stored key
(one provider). Each counts the current calendar month (UTC) of ``billing.own_keys``
spend. ``check`` runs before a run is stored, so a hard stop is refused before any
provider is called (BUDGET_EXCEEDED); a soft threshold reached adds a warning to the run
and to ``GET /v1/credits``. Runs in flight are not reserved against a budget (the money
is the user's own, so a run that starts just before another finishes may end a little
over): the hard stop is checked on what was spent plus this run's quote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing.holds import amount_arg
from reelforge.billing.own_keys import spent_since
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.domain.money import format_usd
from reelforge.storage.budget_tables import BudgetRow
from reelforge.storage.tables import utcnow

ALL_KEYS = ""  # the provider of a user-wide budget


def month_start(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class BudgetState:
    provider: str  # "" = all own keys
    soft_micros: int | None
    hard_micros: int | None
    spent_micros: int
    period_start: datetime

    @property
    def state(self) -> str:
        if self.hard_micros is not None and self.spent_micros >= self.hard_micros:
            return "exceeded"
        if self.soft_micros is not None and self.spent_micros >= self.soft_micros:
            return "warning"
        return "ok"

    def describe(self) -> str:
        scope = f"{self.provider} key" if self.provider else "own keys"
        limit = self.hard_micros if self.hard_micros is not None else self.soft_micros
        if limit is None:
            return f"{scope}: {format_usd(self.spent_micros)} spent this month, no budget"
        return f"{scope}: budget {format_usd(self.spent_micros)} of {format_usd(limit)} used"

    def view(self) -> dict[str, Any]:
        return {
            "provider": self.provider or None,
            "scope": "key" if self.provider else "user",
            "soft_micros": self.soft_micros,
            "hard_micros": self.hard_micros,
            "spent_micros": self.spent_micros,
            "period_start": self.period_start,
            "state": self.state,
            "summary": self.describe(),
        }


async def set_budget(
    session: AsyncSession,
    owner_id: str,
    provider: str,
    *,
    soft_micros: int | None,
    hard_micros: int | None,
    set_by: str,
) -> None:
    """Set (both unset: remove) a budget. Soft above hard is refused."""
    for name, value in (("soft_micros", soft_micros), ("hard_micros", hard_micros)):
        if value is not None:
            amount_arg(value, name)
    if soft_micros is not None and hard_micros is not None and soft_micros > hard_micros:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "soft_micros (the warning) must not be above hard_micros (the stop).",
            detail={"soft_micros": soft_micros, "hard_micros": hard_micros},
        )
    where = (BudgetRow.owner_id == owner_id, BudgetRow.provider == provider)
    if soft_micros is None and hard_micros is None:
        await session.execute(delete(BudgetRow).where(*where))
        return
    row = (await session.execute(select(BudgetRow).where(*where))).scalar_one_or_none()
    if row is None:
        row = BudgetRow(id=new_id("bgt"), owner_id=owner_id, provider=provider)
        session.add(row)
    row.soft_micros, row.hard_micros = soft_micros, hard_micros
    row.set_by, row.updated_at = set_by, utcnow()
    await session.flush()


async def budgets_of(
    session: AsyncSession, owner_id: str, *, now: datetime | None = None
) -> list[BudgetState]:
    """The user-wide budget first (always listed, unset or not), then each key's."""
    start = month_start(now)
    spent = await spent_since(session, owner_id, start)
    rows = {
        r.provider: r
        for r in (
            await session.execute(select(BudgetRow).where(BudgetRow.owner_id == owner_id))
        ).scalars()
    }
    states = [_state(rows.get(ALL_KEYS), ALL_KEYS, sum(spent.values()), start)]
    for provider in sorted(set(rows) - {ALL_KEYS}):
        states.append(_state(rows[provider], provider, spent.get(provider, 0), start))
    return states


def _state(row: BudgetRow | None, provider: str, spent: int, start: datetime) -> BudgetState:
    return BudgetState(
        provider,
        None if row is None else row.soft_micros,
        None if row is None else row.hard_micros,
        spent,
        start,
    )


async def check(
    session: AsyncSession, owner_id: str, own_by_provider: Mapping[str, int], own_total: int
) -> list[str]:
    """Refuse (BUDGET_EXCEEDED) a run whose own-key quote would pass a hard budget;
    return the warnings of soft thresholds it reaches."""
    warnings: list[str] = []
    for budget in await budgets_of(session, owner_id):
        adding = own_total if not budget.provider else own_by_provider.get(budget.provider, 0)
        if adding <= 0:
            continue  # this run spends nothing under this budget
        after = budget.spent_micros + adding
        scope = f"the {budget.provider} key's budget" if budget.provider else "your budget"
        if budget.hard_micros is not None and after > budget.hard_micros:
            raise ReelForgeError(
                ErrorCode.BUDGET_EXCEEDED,
                f"This run's {format_usd(adding)} on your own keys would pass {scope}: "
                f"{format_usd(budget.spent_micros)} of {format_usd(budget.hard_micros)} "
                "is used this month.",
                detail={
                    "provider": budget.provider or None,
                    "needed_micros": adding,
                    "spent_micros": budget.spent_micros,
                    "hard_micros": budget.hard_micros,
                    "period_start": budget.period_start.isoformat(),
                },
            )
        if budget.soft_micros is not None and after >= budget.soft_micros:
            warnings.append(
                f"{scope} warns at {format_usd(budget.soft_micros)}: with this run "
                f"{format_usd(after)} is used this month"
                + (
                    f" (stop at {format_usd(budget.hard_micros)})"
                    if budget.hard_micros is not None
                    else ""
                )
            )
    return warnings
