"""Analytics: runs per day, spend, provider success and speed (never a hard failure).

Every answer is 200 ``{ok, data, error, message}``; a failing or slow query is
``ok: false`` with a message (seed 001 §6.4). Bad input (an unknown parameter, a window
out of range) is still refused with the error envelope, as everywhere.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query

from reelforge.api.deps import ContainerDep, CurrentPrincipal
from reelforge.api.history_deps import analytics
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.engine.analytics import DEFAULT_DAYS, MAX_DAYS

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])


class Scope(StrEnum):
    MINE = "mine"
    ALL = "all"


Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="The window: the last N days.")]
ScopeQ = Annotated[
    Scope, Query(description="`mine` (default) or `all` users (owner and admin only).")
]


def _owner(principal: Principal, scope: Scope) -> str | None:
    if scope is Scope.MINE:
        return principal.user_id
    if not principal.role.is_admin:
        raise ReelForgeError(
            ErrorCode.FORBIDDEN,
            "Only the owner or an admin may see every user's analytics.",
            remediation=("Leave out scope=all to see your own.",),
            detail={"role": principal.role.value},
        )
    return None


@router.get("/usage")
async def usage(
    container: ContainerDep,
    principal: CurrentPrincipal,
    days: Days = DEFAULT_DAYS,
    scope: ScopeQ = Scope.MINE,
) -> dict[str, Any]:
    """Runs per day, by status."""
    return await analytics(container).usage(_owner(principal, scope), days)


@router.get("/spend")
async def spend(
    container: ContainerDep,
    principal: CurrentPrincipal,
    days: Days = DEFAULT_DAYS,
    scope: ScopeQ = Scope.MINE,
) -> dict[str, Any]:
    """What steps cost, per provider and per day (integer micro-USD and formatted)."""
    return await analytics(container).spend(_owner(principal, scope), days)


@router.get("/providers")
async def providers(
    container: ContainerDep,
    principal: CurrentPrincipal,
    days: Days = DEFAULT_DAYS,
    scope: ScopeQ = Scope.MINE,
) -> dict[str, Any]:
    """Success rate per provider and model, and each model's median (p50) time."""
    return await analytics(container).providers(_owner(principal, scope), days)
