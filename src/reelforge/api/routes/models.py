"""The model catalog and quotes: ``GET /v1/models``, ``GET /v1/models/{id}``,
``GET /v1/models/{id}/schema``, ``POST /v1/quotes``.

Model ids contain slashes (``atlas/google/nano-banana/edit``), so the id routes use a path
converter; the ``/schema`` route is declared first so it wins over the bare id route.
Listings are rendered once per catalog version and filter, then served as bytes: the
catalog changes every few minutes, and it is read on every canvas load.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from reelforge.api.deps import SCOPE_KEY, ContainerDep, CurrentPrincipal
from reelforge.api.schemas import RequestModel, ResponseModel
from reelforge.catalog.catalog import Catalog, Listing
from reelforge.catalog.quotes import NodeQuote, quote_pipeline
from reelforge.catalog.schema import ParamSpec, check_value, entry_params, validate_params
from reelforge.catalog.views import detail_view, summary_view
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ReelForgeError
from reelforge.domain.modes import Mode

router = APIRouter(prefix="/v1", tags=["models"])


def get_catalog(container: ContainerDep) -> Catalog:
    return container.catalog


CatalogDep = Annotated[Catalog, Depends(get_catalog)]


def _listing_body(listing: Listing) -> bytes:
    return json.dumps(
        {
            "models": [summary_view(e) for e in listing.entries],
            "count": len(listing.entries),
            "stale": listing.stale,
            "unavailable": listing.unavailable,
            "sources": listing.sources,
        },
        separators=(",", ":"),
    ).encode()


# --- response models (for the OpenAPI document; bodies are rendered above) -------------


class PriceOut(ResponseModel):
    micros: int | None
    known: bool
    basis: str
    display: str
    source: str
    as_of: str | None
    typical_micros: int | None
    typical_display: str


class ModelSummaryOut(ResponseModel):
    id: str
    provider: str
    label: str
    modes: list[str]
    output_kind: str
    price: PriceOut
    live: bool
    tags: list[str]
    description: str


class ModelListOut(ResponseModel):
    models: list[ModelSummaryOut]
    count: int
    stale: bool = Field(
        description="A live provider's refresh failed; its last good list is shown."
    )
    unavailable: list[str] = Field(description="Live providers whose models could not be loaded.")
    sources: list[dict[str, Any]]


class ModelDetailOut(ModelSummaryOut):
    provider_model: str
    inputs: list[dict[str, Any]]
    limits: dict[str, Any]
    features: dict[str, Any]
    fixed_params: dict[str, Any]
    params: list[ParamSpec]


class SchemaOut(ResponseModel):
    model: str
    params: list[ParamSpec]
    json_schema: dict[str, Any]


# --- routes -----------------------------------------------------------------------------


@router.get("/models", response_model=ModelListOut)
async def list_models(
    catalog: CatalogDep,
    _principal: CurrentPrincipal,
    mode: Annotated[Mode | None, Query(description="t2i, i2i, t2v, i2v, v2v, ...")] = None,
    provider: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in id, label or tags.")
    ] = None,
) -> Response:
    """Every model, or those of one mode / provider / matching text; each mode sorted by price."""
    listing = await catalog.list_models(mode=mode, provider=provider, q=q)
    key = ("list", listing.version, listing.stale, tuple(listing.unavailable), mode, provider, q)
    body = catalog.view_cache.get(key)
    if body is None:
        body = _listing_body(listing)
        if len(catalog.view_cache) > 512:
            catalog.view_cache.clear()
        catalog.view_cache[key] = body
    return Response(content=body, media_type="application/json")


@router.get("/models/{model_id:path}/schema", response_model=SchemaOut)
async def model_schema(
    model_id: str, catalog: CatalogDep, _principal: CurrentPrincipal
) -> SchemaOut:
    """The model's settings as typed parameters (drives the canvas form), and the raw schema."""
    entry = await catalog.get(model_id)
    return SchemaOut(model=entry.id, params=entry_params(entry), json_schema=entry.params_schema)


@router.get("/models/{model_id:path}", response_model=ModelDetailOut)
async def get_model(
    model_id: str, catalog: CatalogDep, _principal: CurrentPrincipal
) -> dict[str, Any]:
    return detail_view(await catalog.get(model_id))


class QuoteOptionIn(RequestModel):
    model: str = Field(min_length=1, max_length=300)
    params: dict[str, Any] | None = Field(
        default=None,
        description="Omitted: the node's params that this model accepts with their values.",
    )


class QuoteNodeIn(RequestModel):
    id: str | None = Field(default=None, max_length=200, description="Your node id, echoed back.")
    model: str = Field(min_length=1, max_length=300)
    params: dict[str, Any] = Field(default_factory=dict)
    fallbacks: list[str | QuoteOptionIn] = Field(default_factory=list, max_length=20)


class QuotesIn(RequestModel):
    nodes: list[QuoteNodeIn] = Field(min_length=1, max_length=500)


class NodeQuoteOut(NodeQuote):
    id: str | None = None


class TotalOut(ResponseModel):
    micros: int
    known: bool
    display: str


class QuotesOut(ResponseModel):
    nodes: list[NodeQuoteOut]
    total: TotalOut


def _inherited(entry: ModelEntry, params: Mapping[str, Any]) -> dict[str, Any]:
    """The node's params a fallback takes as they are; the rest fall back to its defaults
    (a duration of 10 s carries over to a model that offers 10 s, not to one that does not)."""
    specs = {spec.name: spec for spec in entry_params(entry)}
    return {k: v for k, v in params.items() if k in specs and check_value(specs[k], v)[1] is None}


@router.post("/quotes", response_model=QuotesOut, openapi_extra={SCOPE_KEY: "read"})
async def quotes(body: QuotesIn, catalog: CatalogDep, _principal: CurrentPrincipal) -> QuotesOut:
    """The price of each node and of the whole pipeline, before it runs. A node with
    fallbacks counts its most expensive option; unknown prices are said, never guessed."""
    resolved: list[list[tuple[ModelEntry, dict[str, Any]]]] = []
    for index, node in enumerate(body.nodes):
        where = node.id or str(index)
        options: list[tuple[ModelEntry, dict[str, Any]]] = []
        choices = [QuoteOptionIn(model=node.model, params=node.params)] + [
            QuoteOptionIn(model=f) if isinstance(f, str) else f for f in node.fallbacks
        ]
        for choice in choices:
            try:
                entry = await catalog.get(choice.model)
                params = (
                    choice.params if choice.params is not None else _inherited(entry, node.params)
                )
                options.append((entry, validate_params(entry, params, partial=True)))
            except ReelForgeError as exc:
                exc.detail.setdefault("node", where)
                raise
        resolved.append(options)
    pipeline = quote_pipeline(resolved)
    return QuotesOut(
        nodes=[
            NodeQuoteOut(**quote.model_dump(), id=node.id)
            for quote, node in zip(pipeline.nodes, body.nodes, strict=True)
        ],
        total=TotalOut(micros=pipeline.micros, known=pipeline.known, display=pipeline.display),
    )
