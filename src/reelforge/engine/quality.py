"""The quality matrix (data) and the ranking of the models that can serve a capability.

``engine/data/quality_matrix.json`` gives editorial quality scores per mode and tier. The
ranking adds what is true right now for this user: a configured credential beats the
sandbox, cheaper beats dearer, a provider with recent errors sinks and one cooling down is
left out, features used natively (a negative prompt the model takes itself) count, and the
user's own preference order comes first. Every contribution is kept in ``reasons`` so the
run can say why a model was chosen. Pure functions: the inputs are gathered by the router.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.modes import Mode

MATRIX_PATH = Path(__file__).parent / "data" / "quality_matrix.json"
TIERS = ("standard", "hd")

LIVE_BONUS = 40.0  # the user's own key: real results, their own account
PRICE_WEIGHT = 12.0  # the dearest candidate loses this much, the cheapest almost nothing
UNKNOWN_PRICE_PENALTY = 15.0  # the quote would say "unknown"
ERROR_RATE_WEIGHT = 50.0  # 100 % recent errors costs this much
NATIVE_BONUS = 5.0  # per feature the node uses that the model supports natively
PREFER_BONUS = 200.0  # first preferred; each later one 10 less


@dataclass(frozen=True)
class QualityMatrix:
    modes: dict[str, dict[str, dict[str, int]]]

    def scores(self, mode: Mode, tier: str) -> dict[str, int]:
        """Model id → quality score for a capability of ``mode`` at ``tier``."""
        lists = self.modes.get(mode.value, {})
        if tier == "hd":
            return dict(lists.get("hd", {}))
        return {**lists.get("hd", {}), **lists.get("standard", {})}


@lru_cache(maxsize=4)
def load_matrix(path: Path = MATRIX_PATH) -> QualityMatrix:
    raw = json.loads(path.read_text(encoding="utf-8"))
    modes = raw.get("modes")
    if not isinstance(modes, dict):
        raise ValueError(f"{path}: 'modes' must be an object")
    for mode, tiers in modes.items():
        Mode(mode)  # an unknown mode is a data error
        if set(tiers) - set(TIERS):
            raise ValueError(f"{path}: {mode}: tiers are {TIERS}")
    return QualityMatrix(modes)


@dataclass
class Candidate:
    """One model that might serve a capability node, with the facts gathered for it."""

    entry: ModelEntry
    quality: int
    params: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    quote_micros: int | None = None
    connection: str = "offline"  # live | sandbox | offline
    cooling: bool = False
    error_rate: float | None = None
    problem: str | None = None  # why it cannot serve (params it refuses, ...)


@dataclass
class Ranked:
    candidate: Candidate
    score: float
    reasons: dict[str, Any]
    excluded: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "model": self.candidate.entry.id,
            "score": round(self.score, 1),
            "reasons": self.reasons,
            "excluded": self.excluded,
            "quote_micros": self.candidate.quote_micros,
            "notes": self.candidate.notes,
        }


NEED_FEATURES = {
    "negative_prompt": "negative_prompt",
    "audio": "audio",
    "seed": "seed",
    "last_frame": "last_frame",
}


def _preference(entry: ModelEntry, prefer: list[str]) -> int | None:
    for index, name in enumerate(prefer):
        if name in (entry.id, entry.provider):
            return index
    return None


def rank(
    candidates: list[Candidate],
    *,
    needs: list[str],
    uses: set[str],
    prefer: list[str],
    max_micros: int | None = None,
) -> list[Ranked]:
    """Every candidate scored, best first; excluded ones last with the reason."""
    known = [c.quote_micros for c in candidates if c.quote_micros is not None]
    dearest = max(known) if known else 0
    ranked: list[Ranked] = []
    for cand in candidates:
        entry = cand.entry
        reasons: dict[str, Any] = {"quality": cand.quality}
        excluded = None
        missing = [n for n in needs if not getattr(entry.features, NEED_FEATURES[n])]
        if missing:
            excluded = f"does not support {', '.join(missing)} natively"
        elif cand.problem:
            excluded = cand.problem
        elif cand.connection == "offline":
            excluded = "not connected (no credential, sandbox off)"
        elif cand.cooling:
            excluded = "provider cooling down after repeated failures"
        elif max_micros is not None and (
            cand.quote_micros is None or cand.quote_micros > max_micros
        ):
            excluded = "above max_micros" if cand.quote_micros is not None else "price unknown"
        score = float(cand.quality)
        if cand.connection == "live":
            score += LIVE_BONUS
            reasons["credential"] = LIVE_BONUS
        if cand.quote_micros is None:
            score -= UNKNOWN_PRICE_PENALTY
            reasons["price_unknown"] = -UNKNOWN_PRICE_PENALTY
        elif dearest:
            cost = PRICE_WEIGHT * cand.quote_micros / dearest
            score -= cost
            reasons["price"] = -round(cost, 1)
        if cand.error_rate:
            cost = ERROR_RATE_WEIGHT * cand.error_rate
            score -= cost
            reasons["recent_errors"] = -round(cost, 1)
        native = [u for u in sorted(uses) if getattr(entry.features, NEED_FEATURES[u], False)]
        if native:
            score += NATIVE_BONUS * len(native)
            reasons["native"] = native
        position = _preference(entry, prefer)
        if position is not None:
            bonus = PREFER_BONUS - 10.0 * position
            score += bonus
            reasons["preferred"] = bonus
        ranked.append(Ranked(cand, score, reasons, excluded))
    ranked.sort(key=lambda r: (r.excluded is not None, -r.score, r.candidate.entry.id))
    return ranked
