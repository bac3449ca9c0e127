"""The series platform's money and media under ``/api/v1``: x402 tip-votes on clip
variants and audio series, clip vote counts, the agent's wallet and payouts, production
status and the platform's public media."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import or_, select

from reelforge.api.deps import ContainerDep, CurrentPrincipal
from reelforge.api.routes.series import acting_agent, series
from reelforge.api.schemas import RequestModel, one_of
from reelforge.apps.series import production, tips, wallet
from reelforge.apps.series.series import clip_votes
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.series_tables import (
    SeriesClipVariantRow,
    SeriesEpisodeRow,
    SeriesProductionRow,
)

router = APIRouter(prefix="/api/v1", tags=["series"], dependencies=[Depends(acting_agent)])

EXPOSE = {"Access-Control-Expose-Headers": "X-PAYMENT-RESPONSE"}


class TipIn(RequestModel):
    tip_amount_cents: int | None = None


class CreatorWalletIn(RequestModel):
    message: str
    signature: str


async def _tip(
    request: Request, container: Any, header: str | None, body: TipIn | None, **target: str
) -> JSONResponse:
    try:
        result, settled = await tips.tip(
            series(container),
            header=header,
            asked_cents=body.tip_amount_cents if body else None,
            resource=str(request.url),
            **target,
        )
    except tips.PaymentNeeded as needed:
        return JSONResponse(needed.body, status_code=402, headers=EXPOSE)
    return JSONResponse(result, headers={"X-PAYMENT-RESPONSE": settled, **EXPOSE})


@router.post("/voting/clips/{clip_variant_id}/tip")
async def tip_clip_vote(
    clip_variant_id: str,
    request: Request,
    container: ContainerDep,
    x_payment: Annotated[str | None, Header(alias="X-PAYMENT")] = None,
    body: Annotated[TipIn | None, Body()] = None,
) -> JSONResponse:
    """Voting.tipClipVote: 402 with payment requirements, then the vote with X-PAYMENT."""
    return await _tip(request, container, x_payment, body, variant_id=clip_variant_id)


@router.post("/series/{series_id}/tip")
async def tip_series(
    series_id: str,
    request: Request,
    container: ContainerDep,
    x_payment: Annotated[str | None, Header(alias="X-PAYMENT")] = None,
    body: Annotated[TipIn | None, Body()] = None,
) -> JSONResponse:
    return await _tip(request, container, x_payment, body, series_id=series_id)


@router.get("/voting/series/{limited_series_id}/clips")
async def get_clip_votes(limited_series_id: str, container: ContainerDep) -> list[dict[str, Any]]:
    """Voting.getClipVotes: the 4 variants' vote counts, tip totals and the winner."""
    return await clip_votes(series(container), limited_series_id)


@router.get("/production/{script_id}")
async def production_status(script_id: str, container: ContainerDep) -> dict[str, Any]:
    return await production.status_of(series(container), script_id)


# -- wallet ----------------------------------------------------------------------------------


@router.get("/wallet")
async def get_wallet(principal: CurrentPrincipal, container: ContainerDep) -> dict[str, Any]:
    return await wallet.summary(series(container), principal)


@router.get("/wallet/nonce")
async def wallet_nonce(
    principal: CurrentPrincipal,
    container: ContainerDep,
    operation: str = Query(default=wallet.SET_CREATOR, json_schema_extra=one_of(wallet.OPERATIONS)),
    creator_wallet_address: Annotated[str | None, Query(alias="creatorWalletAddress")] = None,
) -> dict[str, Any]:
    return await wallet.issue_nonce(series(container), principal, operation, creator_wallet_address)


@router.post("/wallet/creator")
async def set_creator_wallet(
    body: CreatorWalletIn, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    return await wallet.set_creator(series(container), principal, body.message, body.signature)


@router.get("/wallet/payouts")
async def payout_history(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: int = Query(default=50, ge=1, le=500),
) -> list[dict[str, Any]]:
    return await wallet.history(series(container), principal, limit)


# -- the platform's public media --------------------------------------------------------------


@router.get("/media/{artifact_id}")
async def media(artifact_id: str, container: ContainerDep) -> StreamingResponse:
    """Posters, narration, clips and episodes of the platform (public, like the pages)."""
    async with container.db.session() as session:
        used = await session.scalar(
            select(SeriesProductionRow.id).where(
                or_(
                    SeriesProductionRow.poster_artifact_id == artifact_id,
                    SeriesProductionRow.tts_artifact_id == artifact_id,
                )
            )
        )
        used = used or await session.scalar(
            select(SeriesClipVariantRow.id).where(SeriesClipVariantRow.artifact_id == artifact_id)
        )
        used = used or await session.scalar(
            select(SeriesEpisodeRow.id).where(SeriesEpisodeRow.artifact_id == artifact_id)
        )
    if used is None:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No platform media {artifact_id}.")
    row = await container.artifacts.get(artifact_id)

    async def body() -> Any:
        async for chunk in container.artifacts.open(row, 0, row.size - 1):
            yield chunk

    return StreamingResponse(
        body(),
        media_type=row.content_type,
        headers={"Content-Length": str(row.size), "Cache-Control": "public, max-age=3600"},
    )
