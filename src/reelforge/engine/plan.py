"""Validation and planning: a pipeline document becomes an ordered list of planned steps.

Everything is checked before anything runs, and every problem names its node and field:
cycles, unknown models or modes, parameters against the model's schema, edge media kinds
(a video feeding an image slot gets an implicit ``local/last-frame`` step; an image feeding
a video slot is an error), required inputs, and consent for identity references.
"""

from __future__ import annotations

import functools
import graphlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from reelforge.domain.catalog import MediaSlot, ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.domain.words import article
from reelforge.engine.alternatives import PlannedAlternative, node_price, plan_alternatives
from reelforge.engine.graph import cache_key, topological_order
from reelforge.engine.pipeline import Node, Pipeline

LAST_FRAME_MODEL = "local/last-frame"


class CatalogView(Protocol):
    """What the planner needs from the catalog."""

    def get(self, model_id: str) -> ModelEntry: ...
    def validate_params(self, entry: ModelEntry, params: dict[str, Any]) -> dict[str, Any]: ...
    def quote_micros(self, entry: ModelEntry, params: dict[str, Any]) -> int | None: ...


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
        }


@dataclass
class Plan:
    steps: list[PlannedStep]
    total_micros: int
    price_unknown: bool
    warnings: list[str]
    # Capability nodes: the ranking that chose their models (engine.router), by node id.
    routing: dict[str, dict[str, Any]] = field(default_factory=dict)


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(
        self, code: ErrorCode, message: str, node: str | None = None, field: str | None = None
    ) -> None:
        self.items.append({"code": code.value, "message": message, "node": node, "field": field})

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


_SLOT_NAMES = {MediaKind.IMAGE: "image", MediaKind.VIDEO: "video", MediaKind.AUDIO: "audio"}
_MODE_SLOTS = {
    mode: tuple(
        MediaSlot(name=_SLOT_NAMES[kind], kind=kind)
        for kind in mode.input_kinds
        if kind in _SLOT_NAMES
    )
    for mode in Mode
}


def default_slots(entry: ModelEntry, mode: Mode) -> list[MediaSlot]:
    if entry.inputs:
        return list(entry.inputs)
    return list(_MODE_SLOTS[mode])  # built once: a planner may ask for thousands of nodes


def plan_pipeline(
    pipeline: Pipeline,
    catalog: CatalogView,
    artifacts: Mapping[str, ArtifactFacts],
) -> Plan:
    """Validate ``pipeline`` and plan its steps (raises ReelForgeError listing problems)."""
    problems = _Problems()
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
        node, entry, mode = nodes[node_id], entries[node_id], modes[node_id]
        slots = _SlotFiller(
            node, mode, default_slots(entry, mode), catalog, keys, problems, warnings
        )
        for src, slot_name in incoming[node_id]:
            if src in out_kind:
                slots.from_edge(src, out_kind[src], slot_name)
        for given in node.inputs:
            slots.from_upload(given, artifacts)
        slots.check_required()
        filled, extra_steps = slots.filled, slots.extra_steps

        try:
            params = catalog.validate_params(entry, dict(node.params))
        except ReelForgeError as exc:
            problems.add(exc.code, exc.message, node_id, "params")
            params = dict(node.params)

        own_price = catalog.quote_micros(entry, params)
        alternatives = plan_alternatives(
            node,
            mode,
            [i.kind for i in filled.values()],
            catalog,
            functools.partial(problems.add, node=node_id, field="fallbacks"),
        )
        # A node with fallbacks is quoted at its most expensive option.
        price, all_known = node_price(own_price, alternatives)
        kind = entry.output_kind
        if mode in (Mode.UPSCALE, Mode.EDIT) and filled:
            kind = next(iter(filled.values())).kind
            if any(i.from_node for i in filled.values()):
                first = next(i for i in filled.values() if i.from_node)
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
            inputs=list(filled.values()),
            depends_on=sorted({i.from_node for i in filled.values() if i.from_node}),
            output_kind=kind,
            quote_micros=price or 0,
            price_known=all_known,
            alternatives=alternatives,
            own_quote_micros=own_price,
        )
        for helper in extra_steps:
            steps.append(helper)
        step.cache_key = cache_key(step, keys, shas)
        keys[node_id] = step.cache_key
        steps.append(step)
        total += step.quote_micros
        unknown = unknown or not step.price_known
    problems.raise_if_any()
    return Plan(steps=steps, total_micros=total, price_unknown=unknown, warnings=warnings)


class _SlotFiller:
    """Matches a node's incoming edges and uploads to its media slots."""

    def __init__(
        self,
        node: Node,
        mode: Mode,
        slots: list[MediaSlot],
        catalog: CatalogView,
        keys: dict[str, str],
        problems: _Problems,
        warnings: list[str],
    ) -> None:
        self.node, self.mode, self.slots = node, mode, slots
        self.catalog, self.keys, self.problems, self.warnings = catalog, keys, problems, warnings
        self.filled: dict[str, PlannedInput] = {}
        self.extra_steps: list[PlannedStep] = []

    def _slot_for(self, kind: MediaKind, slot_name: str | None, source: str) -> MediaSlot | None:
        if slot_name is not None:
            slot = next((s for s in self.slots if s.name == slot_name), None)
            if slot is None:
                self.problems.add(
                    ErrorCode.VALIDATION_ERROR,
                    f"no input slot {slot_name!r}; slots: {[s.name for s in self.slots]}",
                    self.node.id,
                    "inputs",
                )
            return slot
        free = [s for s in self.slots if s.name not in self.filled]
        slot = next((s for s in free if s.kind is kind), None)
        if slot is None and kind is MediaKind.VIDEO:
            slot = next((s for s in free if s.kind is MediaKind.IMAGE), None)
        if slot is None:
            if self.mode in (Mode.T2I, Mode.T2V):
                self.warnings.append(
                    f"{self.node.id}: {self.mode.label} ignores incoming media ({source})"
                )
                return None
            wanted = "/".join(sorted({s.kind.value for s in self.slots})) or "no media"
            label = "Video→Video" if self.mode is Mode.V2V else self.mode.label
            self.problems.add(
                ErrorCode.VALIDATION_ERROR,
                f"{label} needs {article(wanted)} input; {source} gives {kind.value}",
                self.node.id,
                "inputs",
            )
        return slot

    def _kind_mismatch(self, slot: MediaSlot, kind: MediaKind, source: str) -> None:
        label = "Video→Video" if self.mode is Mode.V2V else self.mode.label
        self.problems.add(
            ErrorCode.VALIDATION_ERROR,
            f"{label} needs {article(slot.kind.value)} input; {source} gives {kind.value}",
            self.node.id,
            slot.name,
        )

    def from_edge(self, src: str, kind: MediaKind, slot_name: str | None) -> None:
        source = f"edge from {src!r}"
        slot = self._slot_for(kind, slot_name, source)
        if slot is None:
            return
        if slot.kind is kind:
            self.filled[slot.name] = PlannedInput(slot.name, slot.kind, from_node=src)
        elif slot.kind is MediaKind.IMAGE and kind is MediaKind.VIDEO:
            helper = _last_frame_step(
                self.catalog, self.node.id, slot.name, src, self.keys, self.problems
            )
            if helper is not None:
                self.extra_steps.append(helper)
                self.filled[slot.name] = PlannedInput(
                    slot.name, MediaKind.IMAGE, from_node=helper.node_id
                )
        else:
            self._kind_mismatch(slot, kind, source)

    def from_upload(self, given: Any, artifacts: Mapping[str, ArtifactFacts]) -> None:
        if given.artifact_id:
            facts = artifacts.get(given.artifact_id)
            if facts is None:
                self.problems.add(
                    ErrorCode.FILE_NOT_FOUND,
                    f"no artifact {given.artifact_id!r}",
                    self.node.id,
                    "inputs",
                )
                return
            kind = facts.kind
        elif given.url and given.kind:
            kind = given.kind
        else:
            self.problems.add(
                ErrorCode.VALIDATION_ERROR,
                "an input needs an artifact_id, or a url with its kind",
                self.node.id,
                "inputs",
            )
            return
        slot = self._slot_for(kind, given.slot, "an uploaded input")
        if slot is None:
            return
        if slot.kind is not kind:
            self._kind_mismatch(slot, kind, "the uploaded input")
            return
        self.filled[slot.name] = PlannedInput(
            slot.name, slot.kind, artifact_id=given.artifact_id, url=given.url
        )

    def check_required(self) -> None:
        if self.mode.input_kinds and self.slots and not self.filled:
            if all(not s.required for s in self.slots):
                kinds = " or ".join(sorted({s.kind.value for s in self.slots}))
                self.problems.add(
                    ErrorCode.VALIDATION_ERROR,
                    f"{self.mode.label} needs a media input ({kinds})",
                    self.node.id,
                    "inputs",
                )
        for slot in self.slots:
            if slot.required and slot.name not in self.filled:
                self.problems.add(
                    ErrorCode.VALIDATION_ERROR,
                    f"missing required {slot.kind.value} input {slot.name!r} for {self.mode.label}",
                    self.node.id,
                    slot.name,
                )
            if slot.identity and slot.name in self.filled and not self.node.consent:
                self.problems.add(
                    ErrorCode.CONSENT_MISSING,
                    f"input {slot.name!r} is an identity reference; set consent: true",
                    self.node.id,
                    "consent",
                )


def _last_frame_step(
    catalog: CatalogView,
    target: str,
    slot: str,
    source: str,
    keys: dict[str, str],
    problems: _Problems,
) -> PlannedStep | None:
    try:
        entry = catalog.get(LAST_FRAME_MODEL)
    except ReelForgeError:
        problems.add(
            ErrorCode.DEPENDENCY_MISSING,
            f"taking the last frame of {source!r} needs the local engine ({LAST_FRAME_MODEL})",
            target,
            slot,
        )
        return None
    step = PlannedStep(
        node_id=f"{target}~{slot}~last-frame",
        entry=entry,
        mode=entry.primary_mode,
        prompt="",
        negative_prompt=None,
        seed=None,
        params=catalog.validate_params(entry, {}),
        inputs=[PlannedInput("video", MediaKind.VIDEO, from_node=source)],
        depends_on=[source],
        output_kind=MediaKind.IMAGE,
        quote_micros=0,
        price_known=True,
        implicit=True,
    )
    step.cache_key = cache_key(step, keys, {})
    keys[step.node_id] = step.cache_key
    return step
