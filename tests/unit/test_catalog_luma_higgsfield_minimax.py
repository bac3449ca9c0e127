"""Catalog data for luma, higgsfield and minimax: valid ModelEntry objects, the
marketplace's service models mapped to concrete models, and exactly the models the
adapters and emulators support."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from reelforge.domain.catalog import ModelEntry, PriceBasis
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.luma import app as luma_emu
from reelforge.emulators.minimax import app as minimax_emu
from reelforge.providers.higgsfield import APPLICATIONS

PROVIDERS = ("luma", "higgsfield", "minimax")
SERVICE_MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "luma/dream_5s": ("ray-2", {"duration": 5, "resolution": "720p"}),
    "luma/i2v": ("ray-2", {"duration": 5, "resolution": "720p"}),
    "luma/remix": ("ray-2", {}),
    "higgsfield/dop_turbo": ("dop-turbo", {}),
    "higgsfield/dop_quality": ("dop-standard", {}),
    "higgsfield/talking_avatar": ("speak-v2", {"quality": "high"}),
    "higgsfield/soul_portrait": ("soul", {"width_and_height": "1536x2048", "batch_size": 1}),
    "minimax/hailuo_6s": ("MiniMax-Hailuo-2.3", {"duration": 6, "resolution": "768P"}),
    "minimax/hailuo_pro": ("MiniMax-Hailuo-2.3", {"duration": 6, "resolution": "1080P"}),
}
SUPPORTED = {
    "luma": set(luma_emu.VIDEO_MODELS) | set(luma_emu.IMAGE_MODELS),
    "higgsfield": set(APPLICATIONS),
    "minimax": set(minimax_emu.MODELS),
}


def load(provider: str) -> list[ModelEntry]:
    text = resources.files("reelforge.catalog").joinpath(f"data/{provider}.json").read_text()
    return [ModelEntry.model_validate(item) for item in json.loads(text)]


@pytest.fixture(scope="module")
def entries() -> dict[str, ModelEntry]:
    found: dict[str, ModelEntry] = {}
    for provider in PROVIDERS:
        for entry in load(provider):
            assert entry.provider == provider
            assert entry.id not in found, f"duplicate id {entry.id}"
            found[entry.id] = entry
    return found


def test_service_models_map_to_concrete_models(entries: dict[str, ModelEntry]) -> None:
    for model_id, (provider_model, fixed) in SERVICE_MODELS.items():
        entry = entries[model_id]
        assert entry.provider_model == provider_model, model_id
        assert entry.fixed_params == fixed, model_id
        assert "marketplace" in entry.tags
        assert not set(fixed) & set(entry.params_schema["properties"]), "fixed is not editable"
    services = {e.id for e in entries.values() if "marketplace" in e.tags}
    assert services == set(SERVICE_MODELS)


def test_every_supported_model_is_in_the_catalog_and_nothing_else(
    entries: dict[str, ModelEntry],
) -> None:
    for provider, models in SUPPORTED.items():
        listed = {e.provider_model for e in entries.values() if e.provider == provider}
        assert listed == models, provider
        concrete = {e.id for e in entries.values() if e.provider == provider}
        assert {f"{provider}/{m}" for m in models} <= concrete, provider


def test_entries_are_well_formed(entries: dict[str, ModelEntry]) -> None:
    for entry in entries.values():
        schema = entry.params_schema
        assert schema["type"] == "object"
        for name, prop in schema["properties"].items():
            assert prop.get("type") in ("string", "integer", "number", "boolean"), (entry.id, name)
            if "enum" in prop and "default" in prop:
                assert prop["default"] in prop["enum"], (entry.id, name)
            if "minimum" in prop and "default" in prop:
                assert prop["minimum"] <= prop["default"] <= prop["maximum"], (entry.id, name)
        assert set(schema.get("required", [])) <= set(schema["properties"])
        assert entry.price.source and entry.price.as_of is not None, entry.id
        assert all(m.output_kind is entry.output_kind for m in entry.modes), entry.id
        slots = {s.name: s for s in entry.inputs}
        if entry.modes == [Mode.I2V]:
            assert slots["image"].required, entry.id
        if Mode.AVATAR in entry.modes:
            assert slots["image"].identity and slots["audio"].identity, entry.id
        if Mode.V2V in entry.modes:
            assert slots["video"].kind is MediaKind.VIDEO and slots["video"].required


def test_prices_are_integers_from_the_reference(entries: dict[str, ModelEntry]) -> None:
    assert entries["luma/dream_5s"].price.micros == 710_000
    assert entries["luma/ray-2"].price.basis is PriceBasis.PER_SECOND
    assert entries["minimax/hailuo_pro"].price.micros == 490_000
    # Higgsfield publishes no per-request prices: unknown, never invented.
    assert all(not e.price.known for e in entries.values() if e.provider == "higgsfield")
