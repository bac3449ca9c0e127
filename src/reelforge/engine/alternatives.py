"""Planning a node's fallbacks: each one checked, its settings translated, and priced.

A fallback must do the node's mode, take the media the node receives, and accept the
node's settings once translated (``engine.translate``) or the ones given for it; anything
else is a validation problem naming the node's ``fallbacks`` field, found before the run
starts rather than when the first model fails. The node is quoted at its most expensive
option so the hold covers whichever model ends up serving.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reelforge.catalog.prompts import prompt_limit
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.engine.pipeline import Node
from reelforge.engine.translate import translate

if TYPE_CHECKING:
    from reelforge.engine.plan import CatalogView

Problem = Callable[[ErrorCode, str], None]


@dataclass
class PlannedAlternative:
    model: str
    params: dict[str, Any]
    quote_micros: int | None
    notes: list[str] = field(default_factory=list)

    def doc(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "params": self.params,
            "quote_micros": self.quote_micros or 0,
            "price_known": self.quote_micros is not None,
            "notes": self.notes,
        }


def plan_alternatives(
    node: Node,
    mode: Mode,
    input_kinds: Iterable[MediaKind],
    catalog: CatalogView,
    problem: Problem,
    *,
    max_prompt_chars: int | None = None,
) -> list[PlannedAlternative]:
    """The node's fallbacks, in order; problems are reported through ``problem``.

    ``node`` has its text settled (engine.plan): its prompt must fit each fallback too."""
    from reelforge.engine.slots import default_slots

    if not node.fallbacks:
        return []
    counts = Counter(input_kinds)
    given = set(counts)
    planned: list[PlannedAlternative] = []
    for option in node.fallback_options:
        try:
            entry: ModelEntry = catalog.get(option.model)
        except ReelForgeError as exc:
            problem(exc.code, exc.message)
            continue
        if mode not in entry.modes:
            problem(ErrorCode.VALIDATION_ERROR, f"fallback {entry.id} cannot do {mode.value}")
            continue
        needed = {s.kind for s in default_slots(entry, mode) if s.required}
        if needed - given:
            kinds = ", ".join(sorted(k.value for k in needed - given))
            problem(ErrorCode.VALIDATION_ERROR, f"fallback {entry.id} needs {kinds} input")
            continue
        too_many = _over_capacity(entry, mode, counts)
        if too_many:
            problem(ErrorCode.VALIDATION_ERROR, f"fallback {entry.id} takes {too_many}")
            continue
        limit = prompt_limit(entry, max_prompt_chars)
        if limit is not None and len(node.prompt) > limit:
            problem(
                ErrorCode.VALIDATION_ERROR,
                f"fallback {entry.id} takes prompts of at most {limit} characters; "
                f"the node's has {len(node.prompt)}",
            )
            continue
        notes: list[str] = []
        if option.params is None:
            translation = translate(entry, node.params)
            params, notes = translation.params, translation.notes
        else:
            params = dict(option.params)
        try:
            params = catalog.validate_params(entry, params)
        except ReelForgeError as exc:
            problem(exc.code, f"fallback {entry.id}: {exc.message}")
            continue
        planned.append(
            PlannedAlternative(entry.id, params, catalog.quote_micros(entry, params), notes)
        )
    return planned


def _over_capacity(entry: ModelEntry, mode: Mode, counts: Counter[MediaKind]) -> str | None:
    """What a fallback cannot take of the node's inputs ("at most 1 image input(s); the
    node gets 3"), or None."""
    from reelforge.engine.slots import default_slots

    room: dict[MediaKind, int | None] = {}
    for slot in default_slots(entry, mode):
        most = slot.most
        have = room.get(slot.kind, 0)
        room[slot.kind] = None if most is None or have is None else have + most
    for kind, count in counts.items():
        limit = room.get(kind, 0)
        if limit == 0:
            return f"no {kind} input; the node gets {count}"
        if limit is not None and count > limit:
            return f"at most {limit} {kind} input(s); the node gets {count}"
    return None


def node_price(own: int | None, alternatives: list[PlannedAlternative]) -> tuple[int | None, bool]:
    """(the node's quote, every option priced): its most expensive known option."""
    prices = [own] + [a.quote_micros for a in alternatives]
    known = [p for p in prices if p is not None]
    return (max(known) if known else None), len(known) == len(prices)
