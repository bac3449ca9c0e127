"""Whose money pays for a step: the user's own provider key, or the operator's.

- ``own``: a credential the user stored (``source == "stored"``), or, for the owner, the
  server's environment keys (the operator's own keys). The provider bills the user
  directly, so plan credits are neither held nor captured; the spend is recorded in the
  ledger (``own_keys:<user>`` → ``own_spend:<user>:<provider>``) and checked against the
  optional budgets of ``billing.budgets``.
- ``plan``: environment keys used by anyone but the owner (credentials the operator lends
  to members), and keyless providers: held and captured from plan credits as before.
- Sandbox steps are free and are neither (``free``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing import ledger
from reelforge.billing.holds import amount_arg
from reelforge.billing.ledger import OWN_KEYS, OWN_SPEND, Account
from reelforge.storage.identity_tables import UserRow
from reelforge.storage.ledger_tables import AccountRow, EntryRow

OWN = "own"
PLAN = "plan"
FREE = "free"
OWNER_ROLE = "owner"


def payer_for(role: str | None, source: str) -> str:
    """``source`` is the credential's (``stored``, ``env``, ``none``, ``sandbox``)."""
    if source == "sandbox":
        return FREE
    if source == "stored" or (source == "env" and role == OWNER_ROLE):
        return OWN
    return PLAN


async def user_role(session: AsyncSession, owner_id: str) -> str | None:
    found = await session.execute(select(UserRow.role).where(UserRow.id == owner_id))
    role = found.scalar_one_or_none()
    return None if role is None else str(role)


def spend_code(owner_id: str, provider: str) -> str:
    return f"own_spend:{owner_id}:{provider}"


async def _accounts(session: AsyncSession, owner_id: str, provider: str) -> tuple[Account, Account]:
    source = await ledger.get_account(session, f"own_keys:{owner_id}", OWN_KEYS, owner_id=owner_id)
    spend = await ledger.get_account(
        session, spend_code(owner_id, provider), OWN_SPEND, owner_id=owner_id
    )
    return source, spend


async def record_own_spend(
    session: AsyncSession,
    *,
    owner_id: str,
    run_id: str,
    step_id: str,
    provider: str,
    model: str,
    amount_micros: int,
    now: datetime | None = None,
) -> int:
    """Book what a step cost on the user's own key (idempotent per step); returns it."""
    amount_arg(amount_micros)
    if amount_micros == 0:
        return 0
    source, spend = await _accounts(session, owner_id, provider)
    await ledger.post(
        session,
        kind="own_key_spend",
        idempotency_key=f"own_spend:{run_id}:{step_id}",
        legs=[(source, -amount_micros), (spend, amount_micros)],
        amount_micros=amount_micros,
        owner_id=owner_id,
        run_id=run_id,
        step_id=step_id,
        source=provider,
        meta={"provider": provider, "model": model},
        now=now,
    )
    return amount_micros


async def spent_since(session: AsyncSession, owner_id: str, since: datetime) -> dict[str, int]:
    """Own-key spend since ``since``, by provider (summed from the ledger's entries)."""
    stmt = (
        select(AccountRow.code, func.coalesce(func.sum(EntryRow.amount_micros), 0))
        .join(EntryRow, EntryRow.account_id == AccountRow.id)
        .where(
            AccountRow.owner_id == owner_id,
            AccountRow.kind == OWN_SPEND,
            EntryRow.created_at >= since,
        )
        .group_by(AccountRow.code)
    )
    prefix = spend_code(owner_id, "")
    return {
        str(code).removeprefix(prefix): int(total)
        for code, total in (await session.execute(stmt)).all()
    }


def summary(payers: Mapping[str, str]) -> str:
    """One word for a run or quote: ``own_keys``, ``plan_credits``, ``mixed`` or ``free``."""
    kinds = {p for p in payers.values() if p != FREE}
    if not kinds:
        return "free"
    if kinds == {OWN}:
        return "own_keys"
    if kinds == {PLAN}:
        return "plan_credits"
    return "mixed"
