"""Graph helpers for the planner: the order steps run in, and each step's cache key."""

from __future__ import annotations

import graphlib
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reelforge.engine.plan import PlannedStep


def topological_order(
    graph: Mapping[str, set[str]], successors: Mapping[str, list[str]]
) -> list[str]:
    """Kahn's algorithm, ready nodes first-in first-out (graphlib's order, at a fraction of
    its cost on large graphs). Raises graphlib.CycleError naming a cycle when there is one."""
    waiting = {node: len(preds) for node, preds in graph.items()}
    order = [node for node, count in waiting.items() if count == 0]
    for node in order:  # the list grows while it is walked
        for child in successors.get(node, ()):
            waiting[child] -= 1
            if waiting[child] == 0:
                order.append(child)
    if len(order) < len(graph):
        # Let graphlib find and name the cycle; that only happens for a refused pipeline.
        list(graphlib.TopologicalSorter(graph).static_order())
    return order


def cache_key(step: PlannedStep, parent_keys: Mapping[str, str], shas: Mapping[str, str]) -> str:
    """ComfyUI-style: the step's own settings plus the keys of what feeds it.

    Inputs are keyed by slot; the second and later inputs of a list slot carry their
    position ("images[1]"), so joining a then b is not the same step as b then a."""
    seen: dict[str, int] = {}
    inputs = []
    for i in step.inputs:
        index = seen[i.slot] = seen.get(i.slot, -1) + 1
        source = (
            parent_keys.get(i.from_node or "", "")
            or shas.get(i.artifact_id or "", "")
            or (i.url or "")
        )
        inputs.append((i.slot if index == 0 else f"{i.slot}[{index}]", source))
    inputs.sort()
    params = sorted(step.params.items())
    doc = (
        step.entry.id,
        step.mode.value,
        step.prompt,
        step.negative_prompt,
        step.seed,
        params,
        inputs,
    )
    return hashlib.sha256(repr(doc).encode()).hexdigest()
