"""catalog/data/local.json: valid ModelEntry data that matches the operations' parameters."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, get_args

import pytest

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.modes import Mode
from reelforge.providers.local_ops import OPS

ALLOWED_KEYS = {"type", "enum", "default", "minimum", "maximum", "title", "description"}


def _entries() -> list[ModelEntry]:
    text = (
        resources.files("reelforge.catalog").joinpath("data/local.json").read_text(encoding="utf-8")
    )
    return [ModelEntry.model_validate(item) for item in json.loads(text)]


def test_every_entry_is_a_free_local_model() -> None:
    entries = _entries()
    assert {e.provider_model for e in entries} == set(OPS)
    assert len({e.id for e in entries}) == len(entries)
    for entry in entries:
        assert entry.provider == "local" and entry.id == f"local/{entry.provider_model}"
        assert entry.price.micros == 0 and entry.price.known
        assert entry.params_schema["type"] == "object"


def test_modes_cover_the_issue() -> None:
    modes = {m for e in _entries() for m in e.modes}
    assert {Mode.EDIT, Mode.UPSCALE, Mode.TTS, Mode.V2V, Mode.I2I} <= modes
    ids = {e.id for e in _entries()}
    assert {"local/last-frame", "local/film-grain", "local/grade", "local/upscale", "local/tts",
            "local/mux-audio", "local/extend", "local/export"} <= ids  # fmt: skip


def _literal_values(annotation: Any) -> list[Any] | None:
    args = get_args(annotation)
    return list(args) if args and all(isinstance(a, str | int) for a in args) else None


@pytest.mark.parametrize("name", sorted(OPS))
def test_schema_matches_the_parameter_model(name: str) -> None:
    entry = next(e for e in _entries() if e.provider_model == name)
    props: dict[str, dict[str, Any]] = entry.params_schema["properties"]
    fields = OPS[name].params.model_fields
    assert set(props) == set(fields)
    for key, field in fields.items():
        spec = props[key]
        assert set(spec) <= ALLOWED_KEYS
        if field.is_required():
            assert key in entry.params_schema.get("required", [])
        else:
            assert spec["default"] == field.default
        values = _literal_values(field.annotation)
        if values is not None:
            assert spec["enum"] == values
        for meta in field.metadata:
            if hasattr(meta, "ge"):
                assert spec["minimum"] == meta.ge
            if hasattr(meta, "le"):
                assert spec["maximum"] == meta.le
        # Defaults validate against the model itself.
    if not any(f.is_required() for f in fields.values()):
        OPS[name].params.model_validate({})


def test_the_catalog_loader_accepts_the_file() -> None:
    from pathlib import Path

    from reelforge.catalog.loader import load_file

    path = Path(str(resources.files("reelforge.catalog").joinpath("data/local.json")))
    assert {e.id for e in load_file(path)} == {e.id for e in _entries()}
