"""The catalog as the engine sees it: entries fetched (async, live sources included) once
per run, then a synchronous view for planning, which is pure CPU work."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from reelforge.catalog.catalog import Catalog
from reelforge.catalog.prompts import DEFAULT_MAX_PROMPT_CHARS
from reelforge.catalog.quotes import quote_generation
from reelforge.catalog.schema import validate_params
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ReelForgeError
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.slots import LAST_FRAME_MODEL


def _params_key(params: dict[str, Any]) -> Any:
    if not params:
        return ()
    key = tuple(sorted(params.items()))
    try:
        hash(key)
    except TypeError:  # lists or dicts among the values
        return json.dumps(params, sort_keys=True, default=str)
    return key


class PlanningView:
    """Implements engine.plan.CatalogView over entries fetched beforehand."""

    def __init__(self, entries: dict[str, ModelEntry], errors: dict[str, ReelForgeError]) -> None:
        self.entries = entries
        self.errors = errors
        # Large pipelines repeat the same model with the same params: validate and quote once.
        self._validated: dict[tuple[str, Any], dict[str, Any] | ReelForgeError] = {}
        self._quotes: dict[tuple[str, Any], int | None] = {}

    def get(self, model_id: str) -> ModelEntry:
        entry = self.entries.get(model_id)
        if entry is None:
            raise self.errors[model_id]
        return entry

    def validate_params(self, entry: ModelEntry, params: dict[str, Any]) -> dict[str, Any]:
        key = (entry.id, _params_key(params))
        found = self._validated.get(key)
        if found is None:
            try:
                found = validate_params(entry, params)
            except ReelForgeError as exc:
                found = exc
            self._validated[key] = found
        if isinstance(found, ReelForgeError):
            raise found
        return dict(found)

    def quote_micros(self, entry: ModelEntry, params: dict[str, Any]) -> int | None:
        key = (entry.id, _params_key(params))
        if key not in self._quotes:
            quote = quote_generation(entry, params)
            self._quotes[key] = quote.micros if quote.known else None
        return self._quotes[key]


class CatalogAccess:
    def __init__(
        self, catalog: Catalog, *, max_prompt_chars: int | None = DEFAULT_MAX_PROMPT_CHARS
    ) -> None:
        self.catalog = catalog
        # The server's cap on every prompt (REELFORGE_MAX_PROMPT_CHARS), checked at planning.
        self.max_prompt_chars = max_prompt_chars

    async def get(self, model_id: str) -> ModelEntry:
        return await self.catalog.get(model_id)

    async def view_for(self, pipeline: Pipeline) -> PlanningView:
        # The last-frame helper is only needed where media flows along edges.
        ids: set[str] = {LAST_FRAME_MODEL} if pipeline.edges else set()
        for node in pipeline.nodes:
            if node.model is not None:
                ids.add(node.model)
            ids.update(f.model for f in node.fallback_options)
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
