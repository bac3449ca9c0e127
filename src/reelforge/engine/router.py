"""Capability routing: a node that asks for a capability (``mode``, ``quality``, ``needs``)
instead of a model gets the best-ranked models that can serve it: the first runs, the next
ones are its fallbacks. Done when a run is planned, so the quote (the dearest option) and
the hold are known before anything runs, and the ranking is kept with the step.
"""

from __future__ import annotations

import json
from typing import Any

from reelforge.catalog.prompts import model_prompt_limit
from reelforge.catalog.quotes import quote_generation
from reelforge.catalog.schema import validate_params
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.catalog_access import CatalogAccess
from reelforge.engine.pipeline import Fallback, Node, Pipeline
from reelforge.engine.quality import Candidate, QualityMatrix, Ranked, load_matrix, rank
from reelforge.engine.translate import translate
from reelforge.providers.health import HealthBoard, credential_key
from reelforge.providers.hub import ProviderHub


class Router:
    def __init__(
        self,
        catalog: CatalogAccess,
        hub: ProviderHub,
        health: HealthBoard,
        matrix: QualityMatrix | None = None,
    ) -> None:
        self.catalog = catalog
        self.hub = hub
        self.health = health
        self.matrix = matrix or load_matrix()
        # (model, settings) → worked-out candidate, for the plan being made.
        self._settings: dict[tuple[str, str], Candidate] = {}

    async def connection(self, provider: str, owner_id: str) -> tuple[str, str | None]:
        """(live | sandbox | offline, credential key)."""
        try:
            resolved = await self.hub.resolve(provider, owner_id)
        except ReelForgeError:
            return "offline", None
        return resolved.connection.value, credential_key(resolved.credential)

    async def resolve(
        self, pipeline: Pipeline, owner_id: str
    ) -> tuple[Pipeline, dict[str, dict[str, Any]]]:
        """The pipeline with capability nodes made concrete, and each one's ranking."""
        if not any(n.capability is not None for n in pipeline.nodes):
            return pipeline, {}
        await self.health.refresh()
        connections: dict[str, tuple[str, str | None]] = {}
        self._settings = {}
        nodes: list[Node] = []
        decisions: dict[str, dict[str, Any]] = {}
        for node in pipeline.nodes:
            if node.capability is None:
                nodes.append(node)
                continue
            ranked = await self.rank(node, owner_id, connections)
            cap = node.capability
            usable = [r for r in ranked if r.excluded is None][: cap.max_candidates]
            if not usable:
                raise ReelForgeError(
                    ErrorCode.VALIDATION_ERROR,
                    f"node {node.id!r}: no model can serve {cap.mode.value} at {cap.quality} "
                    "quality with what is connected now.",
                    detail={
                        "problems": [
                            {
                                "code": "VALIDATION_ERROR",
                                "node": node.id,
                                "field": "capability",
                                "message": "no candidate model",
                            }
                        ],
                        "candidates": [r.view() for r in ranked[:12]],
                    },
                    remediation=(
                        "Connect a provider (PUT /v1/providers/{name}/credential) or turn sandbox mode on.",
                        "Or relax capability.needs / max_micros, or name a model.",
                    ),
                )
            best, rest = usable[0].candidate, [r.candidate for r in usable[1:]]
            explicit = node.fallback_options
            nodes.append(
                node.model_copy(
                    update={
                        "model": best.entry.id,
                        "mode": cap.mode,
                        "capability": None,
                        "params": best.params,
                        "fallbacks": [Fallback(model=c.entry.id, params=c.params) for c in rest]
                        + explicit,
                    }
                )
            )
            decisions[node.id] = {
                "capability": cap.model_dump(mode="json"),
                "chosen": [r.candidate.entry.id for r in usable],
                "candidates": [r.view() for r in ranked[:12]],
            }
        return pipeline.model_copy(update={"nodes": nodes}), decisions

    async def rank(
        self, node: Node, owner_id: str, connections: dict[str, tuple[str, str | None]]
    ) -> list[Ranked]:
        cap = node.capability
        assert cap is not None
        candidates: list[Candidate] = []
        for model_id, quality in self.matrix.scores(cap.mode, cap.quality).items():
            try:
                entry = await self.catalog.get(model_id)
            except ReelForgeError:
                continue  # not in this installation's catalog (or its source is down)
            if cap.mode not in entry.modes:
                continue
            cand = self._settings_for(entry, quality, node.params)
            limit = model_prompt_limit(entry)
            if limit is not None and len(node.prompt) > limit and cand.problem is None:
                # Planning would refuse it: a candidate must take the prompt as it is.
                cand.problem = f"prompt: {len(node.prompt)} characters, more than its {limit}"
            if entry.provider not in connections:
                connections[entry.provider] = await self.connection(entry.provider, owner_id)
            cand.connection, key = connections[entry.provider]
            if key is not None:
                cand.cooling = self.health.cooling(key)
                cand.error_rate = self.health.error_rate(key)
            candidates.append(cand)
        uses = {"negative_prompt"} if node.negative_prompt else set()
        if node.seed is not None:
            uses.add("seed")
        return rank(
            candidates,
            needs=list(cap.needs),
            uses=uses,
            prefer=list(cap.prefer),
            max_micros=cap.max_micros,
        )

    def _settings_for(self, entry: Any, quality: int, params: dict[str, Any]) -> Candidate:
        """The node's settings translated, checked and priced for ``entry``; the same
        settings on many nodes (a typical pipeline) are worked out once per plan."""
        key = (entry.id, json.dumps(params, sort_keys=True, default=str))
        done = self._settings.get(key)
        if done is None:
            translation = translate(entry, params)
            done = Candidate(entry, quality, translation.params, translation.notes)
            try:
                done.params = validate_params(entry, translation.params)
            except ReelForgeError as exc:
                done.problem = f"settings: {exc.message}"
            done.quote_micros = quote_generation(entry, done.params).micros
            self._settings[key] = done
        return Candidate(
            entry,
            quality,
            dict(done.params),
            list(done.notes),
            done.quote_micros,
            problem=done.problem,
        )
