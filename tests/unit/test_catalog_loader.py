"""Curated data files: loaded and checked; a bad file fails loudly, naming itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reelforge.catalog.loader import DATA_DIR, CatalogDataError, load_curated


def entry(model: str = "t2v_5s", provider: str = "kling", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{provider}/{model}",
        "provider": provider,
        "provider_model": "kling-v2-master",
        "label": "Kling 5 s",
        "modes": ["t2v"],
        "output_kind": "video",
        "price": {"micros": 280000, "basis": "per_generation", "source": "pricing page"},
        "params_schema": {
            "type": "object",
            "properties": {
                "prompt": {"type": "string"},
                "aspect_ratio": {"type": "string", "enum": ["16:9", "9:16"], "default": "16:9"},
            },
            "required": ["prompt"],
        },
        "fixed_params": {"duration": "5"},
        **extra,
    }


def write(folder: Path, name: str, data: Any) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(data if isinstance(data, str) else json.dumps(data))


def test_loads_every_provider_file(tmp_path: Path) -> None:
    write(tmp_path, "kling.json", [entry(), entry("i2v")])
    write(tmp_path, "runway.json", [entry("turbo_5s", "runway")])
    entries = load_curated(tmp_path)
    assert [e.id for e in entries] == ["kling/t2v_5s", "kling/i2v", "runway/turbo_5s"]
    assert entries[0].price.micros == 280000 and entries[0].fixed_params == {"duration": "5"}


def test_missing_folder_is_empty(tmp_path: Path) -> None:
    assert load_curated(tmp_path / "none") == []


def test_packaged_data_is_valid() -> None:
    # Whatever files other areas add, they must load.
    load_curated(DATA_DIR)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("kling.json", "{not json", "not readable JSON"),
        ("kling.json", {"id": "x"}, "must be a JSON list"),
        ("kling.json", [entry(provider="runway")], "does not match the file name"),
        ("kling.json", [entry(modes=[])], "kling.json[0] (kling/t2v_5s)"),
        ("kling.json", [entry(price={"micros": -1})], "price.micros"),
        ("kling.json", [entry(colour="red")], "colour"),
        (
            "kling.json",
            [entry(params_schema={"properties": {"x": {"type": "tuple"}}})],
            "unsupported or missing type",
        ),
        (
            "kling.json",
            [entry(params_schema={"properties": {"x": {"type": "string"}}, "required": ["y"]})],
            "undeclared",
        ),
        (
            "kling.json",
            [
                entry(
                    params_schema={
                        "properties": {"r": {"type": "string", "enum": ["a"], "default": "b"}}
                    }
                )
            ],
            "not in its enum",
        ),
        ("kling.json", [entry(), entry()], "already defined"),
    ],
)
def test_bad_files_fail_loudly(tmp_path: Path, name: str, data: Any, words: str) -> None:
    write(tmp_path, name, data)
    with pytest.raises(CatalogDataError) as info:
        load_curated(tmp_path)
    assert words in str(info.value)
    assert name in str(info.value)
