"""What planning produces: planned steps and inputs, the plan, and the problems found.

Kept apart from the planner (engine.plan) and the slot matching (engine.slots) so both
share one set of types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.alternatives import PlannedAlternative


@dataclass(frozen=True)
class ArtifactFacts:
    kind: MediaKind
    sha256: str


@dataclass
class PlannedInput:
    slot: str
    kind: MediaKind
    artifact_id: str | None = None
    url: str | None = None
    from_node: str | None = None


@dataclass
class PlannedStep:
    node_id: str
    entry: ModelEntry
    mode: Mode
    prompt: str
    negative_prompt: str | None
    seed: int | None
    params: dict[str, Any]
    inputs: list[PlannedInput]
    depends_on: list[str]
    output_kind: MediaKind
    quote_micros: int
    price_known: bool
    alternatives: list[PlannedAlternative] = field(default_factory=list)
    own_quote_micros: int | None = None  # the node's own model (the quote is the dearest)
    implicit: bool = False
    cache_key: str = ""
    # What the planner adapted or ignored for this step ("ignores incoming media ...").
    warnings: list[str] = field(default_factory=list)

    @property
    def fallbacks(self) -> list[str]:
        return [a.model for a in self.alternatives]

    def request_doc(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "seed": self.seed,
            "params": self.params,
            "inputs": [vars(i) | {"kind": i.kind.value} for i in self.inputs],
            "fallbacks": self.fallbacks,
            "alternatives": [a.doc() for a in self.alternatives],
            "own_quote_micros": self.own_quote_micros,
            "output_kind": self.output_kind.value,
            # Stored with the step so the run view shows them (absent when there are none).
            **({"warnings": self.warnings} if self.warnings else {}),
        }


@dataclass
class Plan:
    steps: list[PlannedStep]
    total_micros: int
    price_unknown: bool
    warnings: list[str]  # "<node>: <message>", every step's warnings in step order
    # Capability nodes: the ranking that chose their models (engine.router), by node id.
    routing: dict[str, dict[str, Any]] = field(default_factory=dict)


class Problems:
    """Every problem found while planning, raised together (each names its node and field)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(
        self,
        code: ErrorCode,
        message: str,
        node: str | None = None,
        field: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        item: dict[str, Any] = {"code": code.value, "message": message, "node": node}
        item["field"] = field
        if detail:
            item["detail"] = detail  # e.g. the allowed params of a CONTRACT_MISMATCH
        self.items.append(item)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        codes = {p["code"] for p in self.items}
        code = ErrorCode(codes.pop()) if len(codes) == 1 else ErrorCode.VALIDATION_ERROR
        first = self.items[0]
        where = f"node {first['node']!r}" + (
            f", field {first['field']!r}" if first["field"] else ""
        )
        more = f" (and {len(self.items) - 1} more problem(s))" if len(self.items) > 1 else ""
        raise ReelForgeError(
            code,
            f"{where}: {first['message']}{more}",
            detail={"problems": self.items},
        )
