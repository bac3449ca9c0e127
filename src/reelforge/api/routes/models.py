"""The model catalog and quotes: ``GET /v1/models``, ``GET /v1/models/{id}``,
``GET /v1/models/{id}/schema``, ``POST /v1/quotes``.

Model ids contain slashes (``atlas/google/nano-banana/edit``), so the id routes use a path
converter; the ``/schema`` route is declared first so it wins over the bare id route.
Listings are rendered once per catalog version and filter, then served as bytes: the
catalog changes every few minutes, and it is read on every canvas load.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError, WithJsonSchema

from reelforge.api.deps import SCOPE_KEY, ContainerDep, CurrentPrincipal
from reelforge.api.routes.runs import RunIn, refuse_preset_fields, resolve_pipeline
from reelforge.api.schemas import ResponseModel
from reelforge.catalog.catalog import Catalog, Listing
from reelforge.catalog.quotes import NodeQuote, quote_pipeline
from reelforge.catalog.schema import ParamSpec, entry_params
from reelforge.catalog.views import detail_view, summary_view
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.modes import Mode
from reelforge.engine.pipeline import Pipeline

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


class QuoteStepOut(NodeQuote):
    id: str = Field(description="The node id (implicit steps: '<node>~<slot>~last-frame').")
    implicit: bool = Field(description="A step the planner added (a video's last frame).")
    mode: str
    warnings: list[str] = Field(default_factory=list)
    routing: dict[str, Any] | None = Field(
        default=None, description="Capability nodes: the ranking that chose the models."
    )


class TotalOut(ResponseModel):
    micros: int
    known: bool
    display: str


class QuotesOut(ResponseModel):
    nodes: list[QuoteStepOut] = Field(description="Every step as it would run, in order.")
    total: TotalOut
    warnings: list[str] = Field(description="'<node>: ...' what the planner ignored or adapted.")
    billing: dict[str, Any] | None = Field(
        default=None,
        description="Whose money pays: `payer` own_keys (budget: `summary`), plan_credits, "
        "mixed or free; `nodes`: each node's payer by provider.",
    )


# What ``_quote_pipeline`` takes, stated (a preset is priced at /v1/presets/{id}/quote).
QUOTE_BODY: dict[str, Any] = {
    "description": "A pipeline document, or the body of POST /v1/runs with its pipeline.",
    "anyOf": [
        {"$ref": "#/components/schemas/Pipeline"},
        {
            "allOf": [{"$ref": "#/components/schemas/RunIn"}],
            "required": ["pipeline"],
            "properties": {"pipeline": {"type": "object"}},
        },
    ],
}


async def _quote_pipeline(raw: dict[str, Any]) -> Pipeline:
    """The body of ``POST /v1/runs`` (``{"pipeline": {...}}``), or the pipeline document
    itself (``{"nodes": [...], "edges": [...]}``): the same document either way."""
    shape: type[RunIn] | type[Pipeline] = (
        RunIn if {"pipeline", "preset", "inputs", "callback_url"} & raw.keys() else Pipeline
    )
    try:
        parsed = shape.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from None
    if isinstance(parsed, Pipeline):
        return parsed
    refuse_preset_fields(parsed)  # as POST /v1/runs refuses them
    return await resolve_pipeline(parsed.pipeline, parsed.preset, parsed.inputs)


@router.post("/quotes", response_model=QuotesOut, openapi_extra={SCOPE_KEY: "read"})
async def quotes(
    container: ContainerDep,
    catalog: CatalogDep,
    principal: CurrentPrincipal,
    body: Annotated[
        dict[str, Any],
        Body(
            description="A pipeline document, or the body of POST /v1/runs "
            '({"pipeline": {...}}); nodes, edges, prompts, inputs and fallbacks as a run takes '
            "them."
        ),
        WithJsonSchema(QUOTE_BODY),
    ],
) -> QuotesOut:
    """The price of a pipeline before it runs, planned exactly as ``POST /v1/runs`` plans
    it: the same validation (refused the same way), implicit steps shown, capability nodes
    routed. A node with fallbacks counts its most expensive option; unknown prices are
    said, never guessed."""
    plan = await container.runs.plan(principal.user_id, await _quote_pipeline(body))
    options: list[list[tuple[ModelEntry, dict[str, Any]]]] = []
    for step in plan.steps:
        own: list[tuple[ModelEntry, dict[str, Any]]] = [(step.entry, step.params)]
        for alt in step.alternatives:
            own.append((await catalog.get(alt.model), alt.params))
        options.append(own)
    priced = quote_pipeline(options)
    return QuotesOut(
        nodes=[
            QuoteStepOut(
                **quote.model_dump(),
                id=step.node_id,
                implicit=step.implicit,
                mode=step.mode.value,
                warnings=step.warnings,
                routing=plan.routing.get(step.node_id),
            )
            for quote, step in zip(priced.nodes, plan.steps, strict=True)
        ],
        total=TotalOut(micros=priced.micros, known=priced.known, display=priced.display),
        warnings=plan.warnings,
        billing=await container.runs.billing_preview(principal.user_id, plan),
    )
