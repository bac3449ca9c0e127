"""Quotes: the price of one generation, and of a pipeline, before it runs.

Pure functions over catalog entries (look entries up with ``Catalog.get`` first):

- ``quote_generation(entry, params)``: per generation = the price; per second = price ×
  the requested duration (``duration`` in params, else ``fixed_params``, else the schema
  default, else the shortest allowed duration); per image = price × the count (``n``,
  ``num_images`` or ``num_outputs``, default 1). An unpublished price, or a per-second price
  with no duration to multiply, gives a quote that says ``unknown``; nothing is invented.
- ``quote_node(options)``: a node with fallbacks costs its most expensive option, so a hold
  placed for it covers whichever model ends up running.
- ``quote_pipeline(nodes)``: the sum of the nodes.

Amounts are integer micro-USD; ``display`` is ``format_usd`` (``$0.096``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel

from reelforge.catalog.schema import entry_params
from reelforge.domain.catalog import ModelEntry, PriceBasis
from reelforge.domain.money import format_usd

UNKNOWN = "unknown"
COUNT_PARAMS: tuple[str, ...] = ("n", "num_images", "num_outputs")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds)?\s*$", re.IGNORECASE)


class GenerationQuote(BaseModel):
    model: str
    known: bool
    micros: int | None  # None when unknown
    display: str  # "$0.096" or "unknown"
    basis: PriceBasis
    unit_micros: int | None  # the catalog price per basis unit
    units: float | None  # seconds or images multiplied (1 for per generation)
    note: str = ""


class NodeQuote(BaseModel):
    model: str  # the node's own model
    counted_model: str | None  # the option whose price is counted (the most expensive)
    known: bool  # every option's price is known
    micros: int | None
    display: str
    options: list[GenerationQuote]


class PipelineQuote(BaseModel):
    nodes: list[NodeQuote]
    known: bool
    micros: int  # the sum of what is known
    display: str  # "$0.42", "≥ $0.42" when a part is unknown, "unknown" when nothing is known


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if isinstance(value, str):
        match = _NUMBER.match(value)
        return float(match.group(1)) if match else None
    return None


def _effective(entry: ModelEntry, params: Mapping[str, Any]) -> dict[str, Any]:
    """Schema defaults, then the request's params, then fixed params (they always win)."""
    merged = {
        spec.name: spec.default
        for spec in entry_params(entry)
        if spec.has_default and spec.default is not None
    }
    merged.update({k: v for k, v in params.items() if v is not None})
    merged.update(entry.fixed_params)
    return merged


def _times(unit: int, units: float) -> int:
    return int((Decimal(unit) * Decimal(str(units))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def quote_generation(entry: ModelEntry, params: Mapping[str, Any] | None = None) -> GenerationQuote:
    """The price of one generation of ``entry`` with ``params`` (validated or not)."""
    price = entry.price

    def quote(micros: int | None, units: float | None, note: str = "") -> GenerationQuote:
        return GenerationQuote(
            model=entry.id,
            known=micros is not None,
            micros=micros,
            display=UNKNOWN if micros is None else format_usd(micros),
            basis=price.basis,
            unit_micros=price.micros,
            units=units,
            note=note,
        )

    if price.micros is None:
        return quote(None, None, "The provider publishes no price for this model.")
    values = _effective(entry, params or {})
    if price.basis is PriceBasis.PER_SECOND:
        seconds = _number(values.get("duration"))
        if seconds is None and entry.limits.durations:
            seconds = min(entry.limits.durations)
        if seconds is None:
            return quote(None, None, "Priced per second, but no duration was given.")
        note = f"{format_usd(price.micros)}/s × {seconds:g} s"
        return quote(_times(price.micros, seconds), seconds, note)
    if price.basis is PriceBasis.PER_IMAGE:
        counts = (_number(values.get(k)) for k in COUNT_PARAMS)
        count = next((n for n in counts if n is not None), 1.0)
        note = f"{format_usd(price.micros)}/image × {count:g}"
        return quote(_times(price.micros, count), count, note)
    return quote(price.micros, 1.0)


def _display(micros: int | None, known: bool) -> str:
    if micros is None:
        return UNKNOWN
    return format_usd(micros) if known else f"≥ {format_usd(micros)}"


def quote_node(options: Sequence[tuple[ModelEntry, Mapping[str, Any]]]) -> NodeQuote:
    """A node's quote: ``options[0]`` is its model, the rest its fallbacks, in order."""
    if not options:
        raise ValueError("a node needs at least one model")
    quotes = [quote_generation(entry, params) for entry, params in options]
    priced = [q for q in quotes if q.micros is not None]
    counted = max(priced, key=lambda q: q.micros or 0) if priced else None
    known = all(q.known for q in quotes)
    micros = counted.micros if counted else None
    return NodeQuote(
        model=quotes[0].model,
        counted_model=counted.model if counted else None,
        known=known,
        micros=micros,
        display=_display(micros, known),
        options=quotes,
    )


def quote_pipeline(
    nodes: Sequence[Sequence[tuple[ModelEntry, Mapping[str, Any]]]],
) -> PipelineQuote:
    """The price of a whole pipeline: the sum of its nodes (see ``quote_node``)."""
    node_quotes = [quote_node(options) for options in nodes]
    known = all(n.known for n in node_quotes)
    total = sum(n.micros or 0 for n in node_quotes)
    any_priced = any(n.micros is not None for n in node_quotes) or not node_quotes
    return PipelineQuote(
        nodes=node_quotes,
        known=known,
        micros=total,
        display=_display(total if any_priced else None, known),
    )


def typical_micros(entry: ModelEntry) -> int | None:
    """The price of one generation with default settings: what catalog listings sort by."""
    return quote_generation(entry).micros
