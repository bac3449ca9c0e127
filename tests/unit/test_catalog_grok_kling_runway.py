"""Catalog data for grok, kling and runway: valid ModelEntry objects, the marketplace's
service models mapped to concrete models, and every model one the emulator accepts."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.modes import Mode
from reelforge.emulators.grok import app as grok_emu
from reelforge.emulators.kling import validate as kling_emu
from reelforge.emulators.runway import validate as runway_emu

PROVIDERS = ("grok", "kling", "runway")
SERVICE_MODELS = {
    "grok/grok-2-image": ("grok-2-image", {}),
    "grok/grok-imagine-video": ("grok-imagine-video", {}),
    "kling/t2v_5s": ("kling-v2-5-turbo", {"duration": "5"}),
    "kling/t2v_10s": ("kling-v2-5-turbo", {"duration": "10"}),
    "kling/i2v": ("kling-v2-5-turbo", {}),
    "kling/image": ("kling-v2-1", {}),
    "kling/talking_avatar": ("avatar/image2video", {}),
    "runway/turbo_5s": ("gen4_turbo", {"duration": 5}),
    "runway/pro_gen4_5s": ("gen4.5", {"duration": 5}),
    "runway/t2v_gen45": ("gen4.5", {}),
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
        assert entry.provider_model == provider_model
        assert entry.fixed_params == fixed
        assert "marketplace" in entry.tags
        props = entry.params_schema["properties"]
        assert not set(fixed) & set(props), "fixed params are not user-editable"


def _check_schema(entry: ModelEntry) -> None:
    schema = entry.params_schema
    assert schema["type"] == "object"
    for name, prop in schema["properties"].items():
        assert prop.get("type") in ("string", "integer", "number", "boolean"), (entry.id, name)
        if "enum" in prop and "default" in prop:
            assert prop["default"] in prop["enum"], (entry.id, name)
        if "minimum" in prop and "default" in prop:
            assert prop["minimum"] <= prop["default"] <= prop["maximum"], (entry.id, name)
    assert set(schema.get("required", [])) <= set(schema["properties"])


def test_entries_are_well_formed(entries: dict[str, ModelEntry]) -> None:
    for entry in entries.values():
        _check_schema(entry)
        assert entry.price.source and entry.price.as_of is not None, entry.id
        assert all(m.output_kind is entry.output_kind for m in entry.modes), entry.id
        slots = {s.name: s for s in entry.inputs}
        if entry.modes in ([Mode.I2V], [Mode.AVATAR]):
            assert slots["image"].required, entry.id
        if Mode.V2V in entry.modes or Mode.LIPSYNC in entry.modes:
            assert "video" in slots, entry.id
        if Mode.AVATAR in entry.modes:
            assert slots["image"].identity and slots["audio"].identity


def test_prices_come_from_the_reference(entries: dict[str, ModelEntry]) -> None:
    assert entries["grok/grok-2-image"].price.micros == 70_000
    assert entries["grok/grok-imagine-video"].price.micros == 50_000
    assert entries["runway/turbo_5s"].price.micros == 250_000  # 5 s × 5 credits × $0.01
    assert entries["runway/t2v_gen45"].price.micros == 120_000  # per second
    # Kling publishes no per-task dollar price: unknown, never invented.
    assert all(e.price.micros is None for e in entries.values() if e.provider == "kling")


def _emulator_accepts(entry: ModelEntry) -> bool:
    model, modes = entry.provider_model, set(entry.modes)
    if entry.provider == "grok":
        known = grok_emu.IMAGE_MODELS if entry.output_kind == "image" else grok_emu.VIDEO_MODELS
        return model in known
    if entry.provider == "kling":
        if modes & {Mode.AVATAR, Mode.LIPSYNC}:
            return model in ("avatar/image2video", "lip-sync")
        if entry.output_kind == "image":
            return model in kling_emu.IMAGE_MODELS
        return (Mode.T2V not in modes or model in kling_emu.T2V_MODELS) and (
            Mode.I2V not in modes or model in kling_emu.I2V_MODELS
        )
    by_mode: dict[Mode, tuple[str, ...]] = {
        Mode.I2V: runway_emu.I2V_MODELS,
        Mode.T2V: runway_emu.T2V_MODELS,
        Mode.V2V: runway_emu.V2V_MODELS,
    }
    return all(model in by_mode[m] for m in modes)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_catalog_model_is_one_the_emulator_serves(provider: str) -> None:
    rejected: list[Any] = [e.id for e in load(provider) if not _emulator_accepts(e)]
    assert rejected == []
