"""Repairing a failed pipeline run that was not a preset: each failed node moves to its
next fallback that has not failed, else becomes a capability node of its mode (routing
picks the best model available now); nodes that succeeded stay as they were, and with
the cache allowed their stored results are reused instead of paid again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reelforge.engine.pipeline import Pipeline
from reelforge.storage.run_tables import StepRow


def repair_pipeline_document(
    document: dict[str, Any], steps: Sequence[StepRow], failed_models: set[str]
) -> Pipeline:
    doc = {**document, "allow_cache": True}
    failed_nodes = {s.node_id: s for s in steps if s.status == "failed" and not s.implicit}
    nodes = []
    for raw in doc.get("nodes", []):
        node = dict(raw)
        step = failed_nodes.get(node.get("id", ""))
        if step is not None:
            fallbacks = [
                f if isinstance(f, dict) else {"model": f} for f in node.get("fallbacks") or []
            ]
            usable = [f for f in fallbacks if f["model"] not in failed_models]
            if usable:
                first, rest = usable[0], usable[1:]
                node["model"] = first["model"]
                if first.get("params") is not None:
                    node["params"] = first["params"]
                node["fallbacks"] = rest
            else:
                node.pop("model", None)
                node["fallbacks"] = []
                node["capability"] = {"mode": step.mode, "max_candidates": 3}
        nodes.append(node)
    doc["nodes"] = nodes
    return Pipeline.model_validate(doc)
