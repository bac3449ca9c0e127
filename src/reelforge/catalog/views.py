"""JSON views of catalog entries, shared by the API and the CLI (one shape everywhere)."""

from __future__ import annotations

from typing import Any

from reelforge.catalog.quotes import typical_micros
from reelforge.catalog.schema import entry_params
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.money import format_usd


def price_view(entry: ModelEntry) -> dict[str, Any]:
    price = entry.price
    typical = typical_micros(entry)
    return {
        "micros": price.micros,
        "known": price.known,
        "basis": str(price.basis),
        "display": format_usd(price.micros) if price.known else "unknown",
        "source": price.source,
        "as_of": price.as_of.isoformat() if price.as_of else None,
        # One generation with default settings (per-second prices × the default duration).
        "typical_micros": typical,
        "typical_display": format_usd(typical) if typical is not None else "unknown",
    }


def summary_view(entry: ModelEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "provider": entry.provider,
        "label": entry.label,
        "modes": [str(m) for m in entry.modes],
        "output_kind": str(entry.output_kind),
        "price": price_view(entry),
        "live": entry.live,
        "tags": entry.tags,
        "description": entry.description,
    }


def detail_view(entry: ModelEntry) -> dict[str, Any]:
    return {
        **summary_view(entry),
        "provider_model": entry.provider_model,
        "inputs": [slot.model_dump(mode="json") for slot in entry.inputs],
        "limits": entry.limits.model_dump(mode="json"),
        "features": entry.features.model_dump(mode="json"),
        "fixed_params": entry.fixed_params,
        "params": [spec.model_dump(mode="json") for spec in entry_params(entry)],
    }
