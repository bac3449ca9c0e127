"""The catalog as the engine sees it: entries fetched (async, live sources included) once
per run, then a synchronous view for planning, which is pure CPU work."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reelforge.catalog.catalog import Catalog
from reelforge.catalog.quotes import quote_generation
from reelforge.catalog.schema import validate_params
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ReelForgeError
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.plan import LAST_FRAME_MODEL


class PlanningView:
    """Implements engine.plan.CatalogView over entries fetched beforehand."""

    def __init__(self, entries: dict[str, ModelEntry], errors: dict[str, ReelForgeError]) -> None:
        self.entries = entries
        self.errors = errors

    def get(self, model_id: str) -> ModelEntry:
        entry = self.entries.get(model_id)
        if entry is None:
            raise self.errors[model_id]
        return entry

    def validate_params(self, entry: ModelEntry, params: dict[str, Any]) -> dict[str, Any]:
        return validate_params(entry, params)

    def quote_micros(self, entry: ModelEntry, params: dict[str, Any]) -> int | None:
        quote = quote_generation(entry, params)
        return quote.micros if quote.known else None


class CatalogAccess:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def get(self, model_id: str) -> ModelEntry:
        return await self.catalog.get(model_id)

    async def view_for(self, pipeline: Pipeline) -> PlanningView:
        ids: set[str] = {LAST_FRAME_MODEL}
        for node in pipeline.nodes:
            ids.add(node.model)
            ids.update(node.fallbacks)
        return await self.view(ids)

    async def view(self, ids: Iterable[str]) -> PlanningView:
        entries: dict[str, ModelEntry] = {}
        errors: dict[str, ReelForgeError] = {}
        for model_id in ids:
            try:
                entries[model_id] = await self.catalog.get(model_id)
            except ReelForgeError as exc:
                errors[model_id] = exc
        return PlanningView(entries, errors)
