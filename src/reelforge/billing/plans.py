"""Plans (Free / Pro / Studio by default): monthly allocation, rate-limit multiplier,
maximum workspaces; and the monthly period arithmetic.

Plans live in a JSON file (the built-in ``plans.json`` or ``settings.plans_file``) and
are synced into ``billing_plans`` at start, so the ledger, the API and other areas read
them from the database with nothing but a session. A database nobody synced (a test,
a script) is seeded with the built-in plans on first use.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing.sql import insert_ignore
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.money import MoneyParseError, parse_usd
from reelforge.storage.ledger_tables import PlanRow
from reelforge.storage.tables import utcnow

BUILTIN_PLANS_FILE = Path(__file__).with_name("plans.json")
BUILTIN_DEFAULT_PLAN = "free"


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    name: str
    monthly_allocation_micros: int
    rate_limit_multiplier: float
    max_workspaces: int
    is_default: bool = False

    @classmethod
    def from_row(cls, row: PlanRow) -> Plan:
        return cls(
            id=row.id,
            name=row.name,
            monthly_allocation_micros=row.monthly_allocation_micros,
            rate_limit_multiplier=row.rate_limit_multiplier,
            max_workspaces=row.max_workspaces,
            is_default=row.is_default,
        )


def load_plans(path: Path | None = None) -> list[Plan]:
    """Read a plans file: ``{"plans": [{id, name, monthly_allocation_usd, ...}]}``."""
    path = path or BUILTIN_PLANS_FILE
    try:
        data = json.loads(path.read_text())
        plans = [
            Plan(
                id=str(p["id"]),
                name=str(p["name"]),
                monthly_allocation_micros=parse_usd(str(p["monthly_allocation_usd"])),
                rate_limit_multiplier=float(p["rate_limit_multiplier"]),
                max_workspaces=int(p["max_workspaces"]),
            )
            for p in data["plans"]
        ]
    except (OSError, ValueError, KeyError, TypeError, MoneyParseError) as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"The plans file {path} is not valid: {exc}",
            detail={"path": str(path)},
        ) from exc
    ids = [p.id for p in plans]
    if not plans or len(set(ids)) != len(ids):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR, f"The plans file {path} needs distinct plan ids."
        )
    return plans


async def sync_plans(
    session: AsyncSession, plans: Sequence[Plan], default_plan: str = BUILTIN_DEFAULT_PLAN
) -> None:
    """Upsert ``plans``; mark ``default_plan`` as the one new users get. Plans missing from
    the file are kept (users may still be on them) but lose the default mark."""
    if default_plan not in {p.id for p in plans}:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"The default plan {default_plan!r} is not in the plans file.",
            detail={"plans": [p.id for p in plans]},
        )
    now = utcnow()
    await session.execute(update(PlanRow).values(is_default=False))
    for position, plan in enumerate(plans):
        values = {
            "name": plan.name,
            "monthly_allocation_micros": plan.monthly_allocation_micros,
            "rate_limit_multiplier": plan.rate_limit_multiplier,
            "max_workspaces": plan.max_workspaces,
            "is_default": plan.id == default_plan,
            "position": position,
            "updated_at": now,
        }
        if not await insert_ignore(session, PlanRow, {"id": plan.id, **values}, ["id"]):
            await session.execute(update(PlanRow).where(PlanRow.id == plan.id).values(**values))


async def list_plans(session: AsyncSession) -> list[Plan]:
    rows = (await session.execute(select(PlanRow).order_by(PlanRow.position))).scalars()
    return [Plan.from_row(r) for r in rows]


async def get_plan(session: AsyncSession, plan_id: str) -> Plan:
    row = (
        await session.execute(
            select(PlanRow).where(PlanRow.id == plan_id).execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if row is None:
        known = [p.id for p in await list_plans(session)]
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No plan {plan_id!r}.", detail={"plans": known})
    return Plan.from_row(row)


async def default_plan(session: AsyncSession) -> Plan:
    stmt = select(PlanRow).where(PlanRow.is_default.is_(True)).order_by(PlanRow.position)
    row = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    if row is None:
        # Nobody synced plans into this database: the built-in ones apply.
        builtin = load_plans()
        for position, plan in enumerate(builtin):
            await insert_ignore(
                session,
                PlanRow,
                {
                    "id": plan.id,
                    "name": plan.name,
                    "monthly_allocation_micros": plan.monthly_allocation_micros,
                    "rate_limit_multiplier": plan.rate_limit_multiplier,
                    "max_workspaces": plan.max_workspaces,
                    "is_default": plan.id == BUILTIN_DEFAULT_PLAN,
                    "position": position,
                    "updated_at": utcnow(),
                },
                ["id"],
            )
        return await get_plan(session, BUILTIN_DEFAULT_PLAN)
    return Plan.from_row(row)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later, clamped to the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_containing(anchor: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The monthly period (counted from ``anchor``) that contains ``now``: [start, end)."""
    if now < anchor:
        return anchor, add_months(anchor, 1)
    months = (now.year - anchor.year) * 12 + (now.month - anchor.month)
    # The estimate can be one too many (earlier day of month) but never too few.
    while months > 0 and add_months(anchor, months) > now:
        months -= 1
    return add_months(anchor, months), add_months(anchor, months + 1)
