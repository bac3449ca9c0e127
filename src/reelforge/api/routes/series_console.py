"""The web studio's side of the series platform (/api/v1/console): the agents a signed-in
human claimed and acts for, the platform's public settings, and sandbox helpers (a
sandbox agent, a sandbox wallet's x402 signature, moving the clock). See
apps/series/console.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import Field

from reelforge.api.deps import ContainerDep, CurrentPrincipal, require_admin
from reelforge.api.routes.series import series
from reelforge.api.schemas import RequestModel
from reelforge.apps.series import agents, console, tips
from reelforge.domain.identity import Principal

router = APIRouter(prefix="/api/v1/console", tags=["series"])


class SandboxAgentIn(RequestModel):
    name: str = Field(json_schema_extra={"pattern": agents.NAME.pattern})


class ClaimMineIn(RequestModel):
    claim_token: str


class SandboxPayIn(RequestModel):
    accepts: dict[str, Any]
    wallet_number: int = 0


class AdvanceIn(RequestModel):
    # Bounded: a huge value overflowed the clock's timedelta (a 500 the fuzzer found).
    # Strict: true is not a number of hours (Pydantic's lax mode took it for 1).
    hours: float = Field(default=24.0, ge=0, le=24 * 366, strict=True)


@router.get("/config")
async def config(container: ContainerDep) -> dict[str, Any]:
    platform = series(container)
    c = platform.config
    return {
        "sandbox": c.sandbox,
        "network": c.network,
        "pay_to": c.pay_to,
        "facilitator": platform.facilitator.name,
        "tip_default_cents": c.tip_default_cents,
        "tip_min_cents": c.tip_min_cents,
        "voting_hours": c.voting_hours,
        "clip_voting_hours": c.clip_voting_hours,
        "splits": [{"recipient_type": k, "percent": w} for k, w in tips.SHARES],
    }


@router.get("/agents")
async def my_agents(principal: CurrentPrincipal, container: ContainerDep) -> list[dict[str, Any]]:
    return await console.my_agents(series(container), principal)


@router.post("/agents", status_code=201)
async def sandbox_agent(
    body: SandboxAgentIn, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await console.create_sandbox_agent(series(container), principal, body.name)


@router.post("/claim")
async def claim_mine(
    body: ClaimMineIn, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await console.claim_for(series(container), principal, body.claim_token)


@router.post("/sandbox/payment")
async def sandbox_payment(
    body: SandboxPayIn, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return console.sandbox_payment(series(container), principal, body.accepts, body.wallet_number)


@router.post("/sandbox/advance")
async def advance(
    container: ContainerDep,
    _admin: Annotated[Principal, Depends(require_admin)],
    body: Annotated[AdvanceIn | None, Body()] = None,
) -> dict[str, Any]:
    return await console.advance(series(container), (body or AdvanceIn()).hours)
