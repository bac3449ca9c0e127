"""Catalog data for Together, Pollinations, Hugging Face and ComfyUI: valid ModelEntry
objects that match what the adapters and the ComfyUI templates really take."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.modes import Mode
from reelforge.providers import huggingface, pollinations, together
from reelforge.providers.comfyui.templates import SPECIAL_SLOTS, templates

DATA = Path(__file__).parents[2] / "src" / "reelforge" / "catalog" / "data"
ALLOWED_KEYS = {"type", "enum", "default", "minimum", "maximum", "title", "description"}


def load(provider: str) -> list[ModelEntry]:
    raw = json.loads((DATA / f"{provider}.json").read_text(encoding="utf-8"))
    return [ModelEntry.model_validate(item) for item in raw]


@pytest.mark.parametrize("provider", ["together", "pollinations", "huggingface", "comfyui"])
def test_entries_load_and_use_the_schema_subset(provider: str) -> None:
    entries = load(provider)
    assert entries and len({e.id for e in entries}) == len(entries)
    for entry in entries:
        assert entry.provider == provider
        schema = entry.params_schema
        assert schema["type"] == "object"
        for name, prop in schema["properties"].items():
            assert set(prop) <= ALLOWED_KEYS, (entry.id, name)
            if "enum" in prop and "default" in prop:
                assert prop["default"] in prop["enum"]
        assert set(schema.get("required", [])) <= set(schema["properties"])
        assert entry.price.micros is None or entry.price.micros >= 0
        assert entry.price.source and entry.price.as_of is not None
        if set(entry.modes) & {Mode.I2I, Mode.UPSCALE}:
            assert [s.name for s in entry.inputs] == ["image"]


@pytest.mark.parametrize(
    ("provider", "params"),
    [
        ("together", together.PARAMS),
        ("pollinations", pollinations.PARAMS),
        ("huggingface", huggingface.PARAMS),
    ],
)
def test_catalog_params_are_ones_the_adapter_sends(provider: str, params: frozenset[str]) -> None:
    for entry in load(provider):
        assert set(entry.params_schema["properties"]) <= params, entry.id


def test_every_comfyui_template_has_an_entry_with_its_slots() -> None:
    entries = {e.provider_model: e for e in load("comfyui")}
    assert set(entries) == set(templates())
    for name, template in templates().items():
        entry = entries[name]
        assert entry.modes == [template.mode] and entry.output_kind == template.output
        assert set(entry.params_schema["properties"]) == set(template.slots) - SPECIAL_SLOTS
        for slot, prop in entry.params_schema["properties"].items():
            if "default" in prop:
                assert prop["default"] == template.default(slot), (name, slot)
        assert entry.features.negative_prompt == ("negative" in template.slots)


def test_providers_and_emulators_are_registered() -> None:
    from reelforge.emulators import registry
    from reelforge.providers.plugins import load_registry, plugin_manager

    names = {"together", "pollinations", "huggingface", "comfyui"}
    assert names <= set(load_registry(plugin_manager(load_entry_points=False)).names())
    for name in names:
        spec = registry.load(name)
        assert spec.create_app is not None
        assert isinstance(spec.sandbox_credential, dict)
