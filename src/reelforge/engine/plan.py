"""Validation and planning: a pipeline document becomes an ordered list of planned steps.

Everything is checked before anything runs, and every problem names its node and field:
cycles, unknown models or modes, the node's text (prompt required and within limits, see
catalog.prompts), parameters against the model's schema, edge media kinds and slot
cardinality (engine.slots: a video feeding an image slot gets an implicit
``local/last-frame`` step; an image feeding a video slot is an error), required inputs,
and consent for identity references.
"""

from __future__ import annotations

import functools
import graphlib
from collections.abc import Mapping
from typing import Any, Protocol

from reelforge.catalog.prompts import DEFAULT_MAX_PROMPT_CHARS, check_text, node_text
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.alternatives import node_price, plan_alternatives
from reelforge.engine.graph import cache_key, topological_order
from reelforge.engine.pipeline import Node, Pipeline
from reelforge.engine.planned import (
    ArtifactFacts,
    Plan,
    PlannedInput,
    PlannedStep,
    Problems,
)
from reelforge.engine.slots import LAST_FRAME_MODEL, SlotFiller, default_slots

__all__ = [
    "LAST_FRAME_MODEL",
    "ArtifactFacts",
    "CatalogView",
    "Plan",
    "PlannedInput",
    "PlannedStep",
    "default_slots",
    "plan_pipeline",
]


class CatalogView(Protocol):
    """What the planner needs from the catalog."""

    def get(self, model_id: str) -> ModelEntry: ...
    def validate_params(self, entry: ModelEntry, params: dict[str, Any]) -> dict[str, Any]: ...
    def quote_micros(self, entry: ModelEntry, params: dict[str, Any]) -> int | None: ...


def plan_pipeline(
    pipeline: Pipeline,
    catalog: CatalogView,
    artifacts: Mapping[str, ArtifactFacts],
    *,
    max_prompt_chars: int | None = DEFAULT_MAX_PROMPT_CHARS,
) -> Plan:
    """Validate ``pipeline`` and plan its steps (raises ReelForgeError listing problems).

    ``max_prompt_chars``: the server's cap on every prompt (a model's own limit is stricter).
    """
    problems = Problems()
    warnings: list[str] = []
    nodes = {n.id: n for n in pipeline.nodes}
    entries: dict[str, ModelEntry] = {}
    modes: dict[str, Mode] = {}
    for node in pipeline.nodes:
        if node.model is None:
            problems.add(
                ErrorCode.VALIDATION_ERROR,
                "a capability node is routed to models before planning (RunService.plan)",
                node.id,
                "capability",
            )
            continue
        try:
            entry = catalog.get(node.model)
        except ReelForgeError as exc:
            problems.add(exc.code, exc.message, node.id, "model")
            continue
        mode = node.mode or entry.primary_mode
        if mode not in entry.modes:
            problems.add(
                ErrorCode.VALIDATION_ERROR,
                f"{entry.id} does not do {mode.label} ({mode.value}); it does "
                + ", ".join(m.value for m in entry.modes),
                node.id,
                "mode",
            )
            continue
        entries[node.id], modes[node.id] = entry, mode

    # Edges: structure first (unknown nodes, cycles).
    graph: dict[str, set[str]] = {n.id: set() for n in pipeline.nodes}
    successors: dict[str, list[str]] = {}
    incoming: dict[str, list[tuple[str, str | None]]] = {n.id: [] for n in pipeline.nodes}
    for edge in pipeline.edges:
        src, dst = edge.source_node, edge.target_node
        bad = [n for n in (src, dst) if n not in nodes]
        if bad:
            problems.add(
                ErrorCode.VALIDATION_ERROR, f"edge names unknown node(s) {bad}", dst, "edges"
            )
            continue
        if src == dst:
            problems.add(ErrorCode.VALIDATION_ERROR, "a node cannot feed itself", dst, "edges")
            continue
        if src not in graph[dst]:
            graph[dst].add(src)
            successors.setdefault(src, []).append(dst)
        incoming[dst].append((src, edge.target_slot))
    try:
        order = topological_order(graph, successors)
    except graphlib.CycleError as exc:
        cycle = exc.args[1] if len(exc.args) > 1 else []
        problems.add(
            ErrorCode.VALIDATION_ERROR,
            "the pipeline has a cycle: " + " → ".join(map(str, cycle)),
            str(cycle[0]) if cycle else None,
            "edges",
        )
        problems.raise_if_any()
        order = []
    problems.raise_if_any()

    out_kind: dict[str, MediaKind] = {}
    steps: list[PlannedStep] = []
    keys: dict[str, str] = {}
    shas = {aid: facts.sha256 for aid, facts in artifacts.items()}
    total = 0
    unknown = False
    for node_id in order:
        entry, mode = entries[node_id], modes[node_id]
        node = _with_text(nodes[node_id], entry, mode, max_prompt_chars, problems)
        slots = SlotFiller(node, entry, mode, catalog, keys, problems)
        for src, slot_name in incoming[node_id]:
            if src in out_kind:
                slots.from_edge(src, out_kind[src], slot_name)
        for given in node.inputs:
            slots.from_upload(given, artifacts)
        slots.check_required()
        filled = slots.order

        try:
            params = catalog.validate_params(entry, dict(node.params))
        except ReelForgeError as exc:
            problems.add(exc.code, exc.message, node_id, "params", exc.detail)
            params = dict(node.params)

        own_price = catalog.quote_micros(entry, params)
        alternatives = plan_alternatives(
            node,
            mode,
            [i.kind for i in filled],
            catalog,
            functools.partial(problems.add, node=node_id, field="fallbacks"),
            max_prompt_chars=max_prompt_chars,
        )
        # A node with fallbacks is quoted at its most expensive option.
        price, all_known = node_price(own_price, alternatives)
        kind = entry.output_kind
        if mode in (Mode.UPSCALE, Mode.EDIT) and filled and entry.keeps_input_kind:
            kind = filled[0].kind
            first = next((i for i in filled if i.from_node), None)
            if first is not None:
                kind = out_kind.get(first.from_node or "", kind)
        out_kind[node_id] = kind
        step = PlannedStep(
            node_id=node_id,
            entry=entry,
            mode=mode,
            prompt=node.prompt,
            negative_prompt=node.negative_prompt,
            seed=node.seed,
            params=params,
            inputs=list(filled),
            depends_on=sorted({i.from_node for i in filled if i.from_node}),
            output_kind=kind,
            quote_micros=price or 0,
            price_known=all_known,
            alternatives=alternatives,
            own_quote_micros=own_price,
            warnings=slots.warnings,
        )
        steps.extend(slots.extra_steps)
        step.cache_key = cache_key(step, keys, shas)
        keys[node_id] = step.cache_key
        steps.append(step)
        warnings.extend(f"{node_id}: {w}" for w in slots.warnings)
        total += step.quote_micros
        unknown = unknown or not step.price_known
    problems.raise_if_any()
    return Plan(steps=steps, total_micros=total, price_unknown=unknown, warnings=warnings)


def _with_text(
    node: Node, entry: ModelEntry, mode: Mode, cap: int | None, problems: Problems
) -> Node:
    """The node with its prompt, negative prompt and seed settled (catalog.prompts): given
    in ``params`` they become the node's fields; a missing or too long prompt is a problem."""
    text = node_text(entry, node.prompt, node.negative_prompt, node.seed, node.params)
    check_text(entry, mode, text, cap)
    for where, message in text.problems:
        problems.add(ErrorCode.VALIDATION_ERROR, message, node.id, where)
    if (text.prompt, text.negative_prompt, text.seed) == (
        node.prompt,
        node.negative_prompt,
        node.seed,
    ) and len(text.params) == len(node.params):
        return node
    return node.model_copy(
        update={
            "prompt": text.prompt,
            "negative_prompt": text.negative_prompt,
            "seed": text.seed,
            "params": text.params,
        }
    )
