"""Credits: balances, the ledger, plans; admin top-ups, adjustments and plan changes.

Idempotency keys sent by clients are stored as ``api:<key>`` so they can never collide
with the keys the engine derives for runs (``capture:<run>:...``, ``release:<run>:...``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge import billing
from reelforge.api.deps import AdminPrincipal, ContainerDep, CurrentPrincipal, SessionDep
from reelforge.api.paging import IntCursor
from reelforge.api.routes.credits_schemas import (
    AdjustmentIn,
    CreditsOut,
    EntryOut,
    LedgerPage,
    PlanChangeIn,
    PlanOut,
    TopupIn,
    TransactionOut,
    VerifyOut,
    amount_out,
    credits_out,
    plan_out,
)
from reelforge.billing import budgets, own_keys
from reelforge.billing.history import MAX_PAGE, list_entries, list_holds
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal

router = APIRouter(prefix="/v1/credits", tags=["credits"])

UserQuery = Annotated[
    str | None, Query(description="Another user's id (admins only); default: the caller.")
]


def unit_of(container: Container) -> billing.CreditUnit:
    s = container.settings
    return billing.CreditUnit(s.credit_micros, s.credit_display.value)


def _target(principal: Principal, user_id: str | None) -> str:
    if user_id is None or user_id == principal.user_id:
        return principal.user_id
    if not principal.role.is_admin:
        raise ReelForgeError(ErrorCode.FORBIDDEN, "Only admins can see another user's credits.")
    return user_id


async def _wallet(session: AsyncSession, container: Container, user_id: str) -> CreditsOut:
    state = await billing.ensure_period(session, user_id)
    out = credits_out(unit_of(container), state, await list_holds(session, user_id))
    out.own_keys = await own_keys_view(session, user_id)
    return out


async def own_keys_view(session: AsyncSession, user_id: str) -> dict[str, Any]:
    """Which money pays: own keys (budgeted) versus plan credits (lent keys)."""
    role = await own_keys.user_role(session, user_id)
    states = await budgets.budgets_of(session, user_id)
    return {
        "applies_to": "keys you stored"
        + (" and this server's environment keys (you are the owner)" if role == "owner" else ""),
        "plan_credits_apply_to": "keys the operator lends (environment keys)"
        if role != "owner"
        else "nothing: the owner's runs use the owner's own keys",
        "spent_micros": states[0].spent_micros,
        "summary": states[0].describe(),
        "warnings": [s.describe() for s in states if s.state != "ok"],
        "budgets": [s.view() for s in states],
    }


@router.get("", response_model=CreditsOut)
async def get_credits(
    principal: CurrentPrincipal,
    session: SessionDep,
    container: ContainerDep,
    user_id: UserQuery = None,
) -> CreditsOut:
    """Balance, allocation left, top-up credits, active holds, plan and period."""
    out = await _wallet(session, container, _target(principal, user_id))
    await session.commit()  # a first visit creates the wallet; a new month resets it
    return out


@router.get("/ledger", response_model=LedgerPage)
async def get_ledger(
    principal: CurrentPrincipal,
    session: SessionDep,
    container: ContainerDep,
    run_id: Annotated[str | None, Query(description="Only this run's entries.")] = None,
    cursor: IntCursor = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    user_id: UserQuery = None,
) -> LedgerPage:
    """The caller's ledger entries (allocation, top-up and hold accounts), newest first."""
    unit = unit_of(container)
    views, next_cursor = await list_entries(
        session, _target(principal, user_id), run_id=run_id, cursor=cursor, limit=limit
    )
    return LedgerPage(
        entries=[
            EntryOut(
                id=v.id,
                transaction_id=v.transaction_id,
                kind=v.kind,
                account=v.account,
                amount=amount_out(unit, v.amount_micros),
                balance_after=None
                if v.balance_after_micros is None
                else amount_out(unit, v.balance_after_micros),
                run_id=v.run_id,
                step_id=v.step_id,
                reason=v.reason,
                actor_id=v.actor_id,
                source=v.source,
                created_at=v.created_at,
            )
            for v in views
        ],
        next_cursor=next_cursor,
    )


@router.get("/plans", response_model=list[PlanOut])
async def get_plans(
    _principal: CurrentPrincipal, session: SessionDep, container: ContainerDep
) -> list[PlanOut]:
    unit = unit_of(container)
    return [plan_out(unit, p) for p in await billing.list_plans(session)]


async def _transaction_out(
    session: AsyncSession,
    container: Container,
    posted: billing.Posted,
    client_key: str,
    user_id: str,
    response: Response,
) -> TransactionOut:
    wallet = await _wallet(session, container, user_id)
    await session.commit()
    response.status_code = 200 if posted.replayed else 201
    return TransactionOut(
        id=posted.id,
        kind=posted.kind,
        idempotency_key=client_key,
        user_id=posted.owner_id,
        amount=amount_out(unit_of(container), posted.amount_micros),
        reason=posted.reason,
        actor_id=posted.actor_id,
        source=posted.source,
        created_at=posted.created_at,
        replayed=posted.replayed,
        wallet=wallet,
    )


@router.post(
    "/topups",
    response_model=TransactionOut,
    status_code=201,
    responses={200: {"description": "Replayed idempotency key: nothing changed."}},
)
async def post_topup(
    body: TopupIn,
    principal: AdminPrincipal,
    session: SessionDep,
    container: ContainerDep,
    response: Response,
) -> TransactionOut:
    """Add top-up credits to a user (admin). Audited: who, when and why are stored."""
    posted = await billing.credit_topup(
        session,
        body.user_id,
        body.micros(unit_of(container)),
        idempotency_key=f"api:{body.idempotency_key}",
        source="admin",
        reason=body.reason,
        actor_id=principal.user_id,
    )
    return await _transaction_out(
        session, container, posted, body.idempotency_key, body.user_id, response
    )


@router.post(
    "/adjustments",
    response_model=TransactionOut,
    status_code=201,
    responses={200: {"description": "Replayed idempotency key: nothing changed."}},
)
async def post_adjustment(
    body: AdjustmentIn,
    principal: AdminPrincipal,
    session: SessionDep,
    container: ContainerDep,
    response: Response,
) -> TransactionOut:
    """Correct a user's top-up (or allocation) balance by a signed amount, with a reason."""
    posted = await billing.adjust(
        session,
        body.user_id,
        body.micros(unit_of(container)),
        reason=body.reason,
        idempotency_key=f"api:{body.idempotency_key}",
        actor_id=principal.user_id,
        account=body.account,
    )
    return await _transaction_out(
        session, container, posted, body.idempotency_key, body.user_id, response
    )


@router.post("/plan", response_model=CreditsOut)
async def post_plan(
    body: PlanChangeIn, principal: AdminPrincipal, session: SessionDep, container: ContainerDep
) -> CreditsOut:
    """Move a user to another plan (admin): a new period starts now with its allocation."""
    await billing.set_plan(
        session,
        body.user_id,
        body.plan_id,
        idempotency_key=f"api:{body.idempotency_key}",
        actor_id=principal.user_id,
        reason=body.reason,
    )
    out = await _wallet(session, container, body.user_id)
    await session.commit()
    return out


@router.get("/verify", response_model=VerifyOut)
async def get_verify(_principal: AdminPrincipal, session: SessionDep) -> VerifyOut:
    """Rebuild every balance from the entries and check the ledger's invariants (admin)."""
    report = await billing.verify_balances(session)
    return VerifyOut(
        ok=report.ok,
        transactions=report.transactions,
        accounts=report.accounts,
        total_micros=report.total_micros,
        unbalanced_transactions=report.unbalanced_transactions,
        balance_mismatches=report.balance_mismatches,
        negative_accounts=report.negative_accounts,
        hold_mismatches=report.hold_mismatches,
    )
