"""Catalog data for fal, Replicate, Runware and Sync: valid entries the adapters can run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from reelforge.domain.catalog import ModelEntry
from reelforge.emulators.fal.models import MODELS as FAL_MODELS
from reelforge.emulators.replicate.models import MODELS as REPLICATE_MODELS
from reelforge.emulators.sync.app import MODELS as SYNC_MODELS
from reelforge.providers.plugins import load_registry
from reelforge.providers.replicate import split_model

DATA = Path(__file__).resolve().parents[2] / "src" / "reelforge" / "catalog" / "data"
PROVIDERS = ("fal", "replicate", "runware", "sync")
ALLOWED_KEYS = {"type", "enum", "default", "minimum", "maximum", "title", "description"}
TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool}


def _entries(provider: str) -> list[ModelEntry]:
    raw = json.loads((DATA / f"{provider}.json").read_text(encoding="utf-8"))
    return TypeAdapter(list[ModelEntry]).validate_python(raw)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_entries_load_and_their_schemas_are_consistent(provider: str) -> None:
    entries = _entries(provider)
    assert entries and len({e.id for e in entries}) == len(entries)
    for entry in entries:
        assert entry.provider == provider and entry.output_kind is entry.primary_mode.output_kind
        schema = entry.params_schema
        assert schema["type"] == "object"
        assert set(schema.get("required", [])) <= set(schema["properties"])
        for name, prop in schema["properties"].items():
            assert set(prop) <= ALLOWED_KEYS, (entry.id, name)
            expected = TYPES[prop["type"]]
            for value in [prop.get("default"), *prop.get("enum", [])]:
                if value is not None:
                    assert isinstance(value, expected) and not (
                        prop["type"] != "boolean" and isinstance(value, bool)
                    ), (entry.id, name, value)
            if "enum" in prop and "default" in prop:
                assert prop["default"] in prop["enum"], (entry.id, name)
            if "default" in prop and "minimum" in prop:
                assert prop["minimum"] <= prop["default"] <= prop.get("maximum", float("inf"))
        # Prices are either known with a source, or unknown (never invented).
        assert entry.price.source
        assert len({slot.name for slot in entry.inputs}) == len(entry.inputs)


def test_every_catalog_model_is_served_by_its_emulator_and_adapter() -> None:
    registry = load_registry()
    for provider in PROVIDERS:
        assert provider in registry
    assert {e.provider_model for e in _entries("fal")} <= set(FAL_MODELS)
    for entry in _entries("replicate"):
        name, _version = split_model(entry.provider_model)
        assert name in REPLICATE_MODELS
    assert {e.provider_model for e in _entries("sync")} <= set(SYNC_MODELS)
    identity = [slot for e in _entries("sync") for slot in e.inputs]
    assert identity and all(slot.identity for slot in identity)  # faces and voices
