"""Budgets on own-key spend (``/v1/me/budget``, ``/v1/users/{id}/budget`` for admins,
``/v1/providers/{name}/credential/budget`` per stored key) and the price drift report
(``GET /v1/models/price-drift``). Mounted before the models router: its
``/v1/models/{id:path}`` would match ``price-drift``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field, field_validator

from reelforge.api.deps import AdminPrincipal, ContainerDep, CurrentPrincipal, SessionDep
from reelforge.api.schemas import RequestModel, not_a_bool
from reelforge.billing import budgets
from reelforge.engine.drift import price_drift
from reelforge.storage.identity_tables import UserRow

router = APIRouter(tags=["budgets"])


class BudgetIn(RequestModel):
    soft_micros: int | None = Field(
        default=None,
        ge=0,
        description="Warn once this month's own-key spend reaches it.",
    )
    hard_micros: int | None = Field(
        default=None,
        ge=0,
        description="Refuse runs (BUDGET_EXCEEDED) that would pass it.",
    )

    _numbers = field_validator("soft_micros", "hard_micros", mode="before")(not_a_bool)


async def _views(session: SessionDep, user_id: str) -> dict[str, Any]:
    states = await budgets.budgets_of(session, user_id)
    return {"user_id": user_id, "budgets": [s.view() for s in states]}


async def _set(
    session: SessionDep, user_id: str, provider: str, body: BudgetIn, actor: str
) -> dict[str, Any]:
    await budgets.set_budget(
        session,
        user_id,
        provider,
        soft_micros=body.soft_micros,
        hard_micros=body.hard_micros,
        set_by=actor,
    )
    out = await _views(session, user_id)
    await session.commit()
    return out


@router.get("/v1/me/budget")
async def get_my_budget(principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    """This month's spend on your own keys, and the budgets on it (user-wide and per key)."""
    return await _views(session, principal.user_id)


@router.put("/v1/me/budget")
async def put_my_budget(
    body: BudgetIn, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    """Set the budget on all your own keys together (both fields null: remove it)."""
    return await _set(session, principal.user_id, budgets.ALL_KEYS, body, principal.user_id)


async def _user(session: SessionDep, user_id: str) -> str:
    from reelforge.domain.errors import ErrorCode, ReelForgeError

    if await session.get(UserRow, user_id) is None:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND, f"No user {user_id!r}.", detail={"user_id": user_id}
        )
    return user_id


@router.get("/v1/users/{user_id}/budget")
async def get_user_budget(
    user_id: str, principal: AdminPrincipal, session: SessionDep
) -> dict[str, Any]:
    return await _views(session, await _user(session, user_id))


@router.put("/v1/users/{user_id}/budget")
async def put_user_budget(
    user_id: str, body: BudgetIn, principal: AdminPrincipal, session: SessionDep
) -> dict[str, Any]:
    """Admins: set a user's budget on their own keys."""
    return await _set(
        session, await _user(session, user_id), budgets.ALL_KEYS, body, principal.user_id
    )


@router.put("/v1/providers/{name}/credential/budget")
async def put_key_budget(
    name: str,
    body: BudgetIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    container: ContainerDep,
) -> dict[str, Any]:
    """Set the budget on your key for one provider (both fields null: remove it)."""
    container.hub.provider_class(name)  # NOT_FOUND for an unknown provider
    return await _set(session, principal.user_id, name, body, principal.user_id)


@router.get("/v1/models/price-drift")
async def get_price_drift(
    _principal: CurrentPrincipal,
    container: ContainerDep,
    model: Annotated[str | None, Query(description="Only this model.")] = None,
) -> dict[str, Any]:
    """Per model: what steps were quoted versus what providers reported they cost."""
    return {"models": await price_drift(container.db, model)}
