"""Prices for models whose catalog price is unknown: ``PUT/GET/DELETE
/v1/models/{id}/price`` (see engine.prices for how runs use them).

Everyone may read what is set; the owner or an admin sets it, for the whole installation.
Mounted before the models router, whose ``/v1/models/{id:path}`` would otherwise take
these paths as model ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import Field

from reelforge.api.deps import AdminPrincipal, ContainerDep, CurrentPrincipal
from reelforge.api.schemas import RequestModel, ResponseModel
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.money import format_usd
from reelforge.storage.price_tables import ModelPriceRow
from reelforge.storage.tables import utcnow

router = APIRouter(prefix="/v1/models", tags=["models"])


class PriceIn(RequestModel):
    kind: Literal["price", "cap"] = Field(
        default="price",
        description="`price`: what one generation is assumed to cost (held; charged unless "
        "the provider reports the real cost). `cap`: the most one may cost (held; charged "
        "at most that).",
    )
    micros: int = Field(gt=0, le=1_000_000_000, description="Micro-USD per generation.")


class PriceOut(ResponseModel):
    model: str
    kind: str
    micros: int
    display: str
    set_by: str
    updated_at: datetime


def _out(row: ModelPriceRow) -> PriceOut:
    return PriceOut(
        model=row.model_id,
        kind=row.kind,
        micros=row.micros,
        display=format_usd(row.micros),
        set_by=row.set_by,
        updated_at=row.updated_at,
    )


def _no_price(model_id: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.NOT_FOUND,
        f"No price is set for {model_id!r}.",
        detail={"price_for": model_id},
        remediation=(f"An owner or admin sets one with PUT /v1/models/{model_id}/price.",),
    )


@router.put("/{model_id:path}/price", response_model=PriceOut)
async def set_price(
    model_id: str, body: PriceIn, container: ContainerDep, principal: AdminPrincipal
) -> PriceOut:
    """Set the price (or per-run cap) runs assume for a model whose price is unknown."""
    entry = await container.catalog.get(model_id)  # NOT_FOUND for an unknown model
    if entry.price.micros is not None:
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            f"The catalog prices {model_id} at {format_usd(entry.price.micros)} per "
            f"{entry.price.basis.value.removeprefix('per_')}: an owner price is only for "
            "models whose price is unknown.",
            detail={"model": model_id, "catalog_micros": entry.price.micros},
            remediation=("Cap a node's cost with its `max_micros` instead.",),
        )
    async with container.db.transaction() as session:
        row = await session.get(ModelPriceRow, model_id)
        if row is None:
            row = ModelPriceRow(model_id=model_id)
            session.add(row)
        row.kind, row.micros = body.kind, body.micros
        row.set_by, row.updated_at = principal.user_id, utcnow()
        await session.flush()
        return _out(row)


@router.get("/{model_id:path}/price", response_model=PriceOut)
async def get_price(
    model_id: str, container: ContainerDep, _principal: CurrentPrincipal
) -> PriceOut:
    async with container.db.session() as session:
        row = await session.get(ModelPriceRow, model_id)
    if row is None:
        raise _no_price(model_id)
    return _out(row)


@router.delete("/{model_id:path}/price", status_code=204)
async def delete_price(model_id: str, container: ContainerDep, _principal: AdminPrincipal) -> None:
    async with container.db.transaction() as session:
        row = await session.get(ModelPriceRow, model_id)
        if row is None:
            raise _no_price(model_id)
        await session.delete(row)
