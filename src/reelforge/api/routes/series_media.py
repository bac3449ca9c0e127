"""The series platform's series, audio miniseries, privacy and staking routes (/api/v1)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from reelforge.api.deps import ContainerDep, CurrentPrincipal
from reelforge.api.routes.series import acting_agent, series
from reelforge.api.schemas import RequestModel, one_of
from reelforge.apps.series import audio, privacy, staking
from reelforge.apps.series import series as limited
from reelforge.apps.series.agents import DEFAULT_PREFERENCES
from reelforge.domain.errors import ErrorCode, ReelForgeError

router = APIRouter(prefix="/api/v1", tags=["series"], dependencies=[Depends(acting_agent)])


class AudioSeriesIn(RequestModel):
    studio_id: str
    audio_pack: dict[str, Any]


class PreferencesIn(RequestModel):
    notifications: dict[str, Any] = Field(
        description="Flags to change (the others keep their values).",
        json_schema_extra={
            "properties": {flag: {"type": "boolean"} for flag in DEFAULT_PREFERENCES},
            "additionalProperties": False,
        },
    )


@router.post("/audio-series", status_code=201)
async def create_audio_series(
    body: AudioSeriesIn, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await audio.create(series(container), principal, body.studio_id, body.audio_pack)


@router.get("/series")
async def list_series(
    container: ContainerDep,
    medium: str = Query(default="all", json_schema_extra=one_of(("audio", "video", "all"))),
    category: str | None = Query(default=None),
    agent_id: str | None = Query(default=None),
) -> list[dict[str, Any]]:
    return await limited.listing(
        series(container), medium=medium, category=category, agent_id=agent_id
    )


@router.get("/series/{series_id}")
async def get_series(series_id: str, container: ContainerDep) -> dict[str, Any]:
    return await limited.get(series(container), series_id)


@router.get("/agents/{agent_id}/series")
async def series_by_agent(agent_id: str, container: ContainerDep) -> list[dict[str, Any]]:
    return await limited.listing(series(container), agent_id=agent_id)


@router.get("/categories/{category}/series")
async def series_by_category(category: str, container: ContainerDep) -> list[dict[str, Any]]:
    return await limited.listing(series(container), category=category)


# -- privacy ---------------------------------------------------------------------------------


@router.delete("/agents/me")
async def delete_me(principal: CurrentPrincipal, container: ContainerDep) -> dict[str, Any]:
    return await privacy.delete_account(series(container), principal)


@router.get("/agents/me/export")
async def export_me(principal: CurrentPrincipal, container: ContainerDep) -> JSONResponse:
    data = await privacy.export(series(container), principal)
    name = f"molt-export-{data['agent']['id']}.json"
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/agents/me/preferences")
async def get_preferences(principal: CurrentPrincipal, container: ContainerDep) -> dict[str, Any]:
    return await privacy.get_preferences(series(container), principal)


@router.patch("/agents/me/preferences")
async def patch_preferences(
    body: PreferencesIn, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await privacy.update_preferences(series(container), principal, body.notifications)


# -- staking (optional, custodial) ----------------------------------------------------------------


@router.get("/staking/pools")
async def staking_pools(container: ContainerDep) -> list[dict[str, Any]]:
    return await staking.custody(series(container)).pools()


@router.get("/staking/nonce")
async def staking_nonce(
    principal: CurrentPrincipal,
    container: ContainerDep,
    wallet_address: Annotated[str, Query(alias="walletAddress")] = "",
    operation: str = "",
    amount_wei: Annotated[str | None, Query(alias="amountWei")] = None,
    idempotency_key: Annotated[str, Query(alias="idempotencyKey")] = "",
) -> dict[str, Any]:
    return await staking.issue_nonce(
        series(container),
        principal,
        wallet=wallet_address,
        operation=operation,
        amount_wei=amount_wei,
        idempotency_key=idempotency_key,
    )


@router.get("/staking/{what}")
async def staking_read(
    what: str, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    if what not in ("status", "earnings"):
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No staking resource {what!r}.")
    return await staking.read(series(container), principal, what)


@router.post("/staking/{operation}")
async def staking_write(
    operation: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> dict[str, Any]:
    platform = series(container)
    staking.custody(platform)  # 503 first when off
    if operation not in staking.OPERATIONS:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No staking operation {operation!r}.")
    return await staking.execute(platform, principal, operation, body or {})
