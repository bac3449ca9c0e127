"""Matching a node's incoming edges and uploads to its media slots.

A slot takes one input, or (a list slot) several between its ``least`` and ``most``. Inputs
fill slots in a stated order: the node's incoming edges in edge order, then its uploads;
a list slot keeps that order (``local/concat`` joins clips in it, an Atlas ``images`` array
receives it). An input names its slot (edge ``"to": "node.slot"``, upload ``slot``) or goes
to the first slot of its kind with room; a video with no video slot left may feed a free
image slot through an implicit ``local/last-frame`` step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reelforge.domain.catalog import MediaSlot, ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.graph import cache_key
from reelforge.engine.pipeline import Node
from reelforge.engine.planned import ArtifactFacts, PlannedInput, PlannedStep, Problems

if TYPE_CHECKING:
    from reelforge.engine.plan import CatalogView

LAST_FRAME_MODEL = "local/last-frame"

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


def a_kind(kind: MediaKind | str) -> str:
    """ "an image", "a video", "audio" (messages read as English)."""
    word = str(kind)
    if word == "audio":
        return word
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def slot_capacity(slot: MediaSlot) -> str:
    """ "one video input ('video')", "2 to 100 video inputs ('video')"."""
    most = slot.most
    if most == 1:
        return f"one {slot.kind} input ({slot.name!r})"
    if most is None:
        return f"{slot.least} or more {slot.kind} inputs ({slot.name!r})"
    return f"{slot.least} to {most} {slot.kind} inputs ({slot.name!r})"


class SlotFiller:
    """Fills one node's slots; problems and warnings are reported as they are found."""

    def __init__(
        self,
        node: Node,
        entry: ModelEntry,
        mode: Mode,
        catalog: CatalogView,
        keys: dict[str, str],
        problems: Problems,
    ) -> None:
        self.node, self.entry, self.mode = node, entry, mode
        self.slots = default_slots(entry, mode)
        self.catalog, self.keys, self.problems = catalog, keys, problems
        self.filled: dict[str, list[PlannedInput]] = {}
        self.order: list[PlannedInput] = []  # every input, in fill order
        self.extra_steps: list[PlannedStep] = []
        self.warnings: list[str] = []

    @property
    def label(self) -> str:
        return "Video→Video" if self.mode is Mode.V2V else self.mode.label

    def _room(self, slot: MediaSlot) -> bool:
        most = slot.most
        return most is None or len(self.filled.get(slot.name, ())) < most

    def _full(self, slot: MediaSlot, source: str) -> None:
        have = len(self.filled.get(slot.name, ()))
        self.problems.add(
            ErrorCode.VALIDATION_ERROR,
            f"{self.entry.id} takes {slot_capacity(slot)}; it already has {have}, "
            f"so {source} is one too many",
            self.node.id,
            "inputs",
        )

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
            elif not self._room(slot):
                self._full(slot, source)
                return None
            return slot
        fitting = [s for s in self.slots if s.kind is kind]
        if not fitting and kind is MediaKind.VIDEO:
            fitting = [s for s in self.slots if s.kind is MediaKind.IMAGE]
        slot = next((s for s in fitting if self._room(s)), None)
        if slot is not None:
            return slot
        if self.mode in (Mode.T2I, Mode.T2V) and not fitting:
            self.warnings.append(f"{self.mode.label} ignores incoming media ({source})")
            return None
        if fitting:  # slots of this kind exist, and every one is full
            self._full(fitting[-1], source)
            return None
        kinds = sorted({s.kind.value for s in self.slots})
        wanted = (
            "needs " + " or ".join(a_kind(k) for k in kinds) + " input"
            if kinds
            else "takes no media input"
        )
        self.problems.add(
            ErrorCode.VALIDATION_ERROR,
            f"{self.label} {wanted}; {source} gives {a_kind(kind)}",
            self.node.id,
            "inputs",
        )
        return None

    def _kind_mismatch(self, slot: MediaSlot, kind: MediaKind, source: str) -> None:
        self.problems.add(
            ErrorCode.VALIDATION_ERROR,
            f"input slot {slot.name!r} of {self.entry.id} takes {a_kind(slot.kind)}; "
            f"{source} gives {a_kind(kind)}",
            self.node.id,
            slot.name,
        )

    def _put(self, item: PlannedInput) -> None:
        self.filled.setdefault(item.slot, []).append(item)
        self.order.append(item)

    def from_edge(self, src: str, kind: MediaKind, slot_name: str | None) -> None:
        source = f"the edge from {src!r}"
        slot = self._slot_for(kind, slot_name, source)
        if slot is None:
            return
        if slot.kind is kind:
            self._put(PlannedInput(slot.name, slot.kind, from_node=src))
        elif slot.kind is MediaKind.IMAGE and kind is MediaKind.VIDEO:
            index = len(self.filled.get(slot.name, ()))
            helper = last_frame_step(
                self.catalog, self.node.id, slot.name, index, src, self.keys, self.problems
            )
            if helper is not None:
                self.extra_steps.append(helper)
                self._put(PlannedInput(slot.name, MediaKind.IMAGE, from_node=helper.node_id))
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
        source = f"the uploaded {kind} {given.artifact_id or given.url!r}"
        slot = self._slot_for(kind, given.slot, source)
        if slot is None:
            return
        if slot.kind is not kind:
            self._kind_mismatch(slot, kind, source)
            return
        self._put(PlannedInput(slot.name, slot.kind, artifact_id=given.artifact_id, url=given.url))

    def check_required(self) -> None:
        if self.mode.input_kinds and self.slots and not self.order:
            if all(not s.required for s in self.slots):
                kinds = " or ".join(sorted({s.kind.value for s in self.slots}))
                self.problems.add(
                    ErrorCode.VALIDATION_ERROR,
                    f"{self.label} needs a media input ({kinds})",
                    self.node.id,
                    "inputs",
                )
        for slot in self.slots:
            count = len(self.filled.get(slot.name, ()))
            if slot.required and count == 0:
                takes = f" ({self.entry.id} takes {slot_capacity(slot)})" if slot.multiple else ""
                self.problems.add(
                    ErrorCode.VALIDATION_ERROR,
                    f"missing required {slot.kind.value} input {slot.name!r} for {self.label}"
                    + takes,
                    self.node.id,
                    slot.name,
                )
            elif 0 < count < slot.least:
                self.problems.add(
                    ErrorCode.VALIDATION_ERROR,
                    f"{self.entry.id} needs {slot_capacity(slot)}; it has {count}",
                    self.node.id,
                    slot.name,
                )
            if slot.identity and count and not self.node.consent:
                self.problems.add(
                    ErrorCode.CONSENT_MISSING,
                    f"input {slot.name!r} is an identity reference; set consent: true",
                    self.node.id,
                    "consent",
                )


def last_frame_step(
    catalog: CatalogView,
    target: str,
    slot: str,
    index: int,
    source: str,
    keys: dict[str, str],
    problems: Problems,
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
    # The first input of a slot keeps the plain name; more (a list slot) are numbered.
    place = slot if index == 0 else f"{slot}.{index + 1}"
    step = PlannedStep(
        node_id=f"{target}~{place}~last-frame",
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
