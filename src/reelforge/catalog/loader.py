"""Curated catalog entries: ``catalog/data/<provider>.json``, each a JSON list of ModelEntry.

One file per provider, written by whoever writes that provider's adapter. The files ship
inside the package and are read once at start-up; a bad file stops start-up with a message
naming the file, the entry and the problem (a silently missing model is worse).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reelforge.catalog.schema import SchemaError, parse_schema
from reelforge.domain.catalog import ModelEntry

DATA_DIR = Path(__file__).parent / "data"


class CatalogDataError(ValueError):
    """A curated data file that cannot be used as it is."""


def _where(path: Path, index: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"{path.name}[{index}]" + (f" ({ident})" if ident else "")


def check_entry(entry: ModelEntry, where: str) -> None:
    """Checks beyond the type: the schema is in the subset, fixed and media names make sense."""
    try:
        specs = parse_schema(entry.params_schema, strict=True)
    except SchemaError as exc:
        raise CatalogDataError(f"{where}: params_schema: {exc}") from exc
    names = {spec.name for spec in specs}
    required = set(entry.params_schema.get("required") or [])
    if required - names:
        raise CatalogDataError(
            f"{where}: params_schema requires undeclared parameter(s) {sorted(required - names)}"
        )
    for spec in specs:
        if spec.enum is not None and spec.has_default and spec.default not in spec.enum:
            raise CatalogDataError(
                f"{where}: parameter {spec.name!r}: default {spec.default!r} is not in its enum"
            )
    slot_names = [slot.name for slot in entry.inputs]
    if len(slot_names) != len(set(slot_names)):
        raise CatalogDataError(f"{where}: duplicate media slot names {slot_names}")


def load_file(path: Path) -> list[ModelEntry]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogDataError(f"{path}: not readable JSON: {exc}") from exc
    if not isinstance(raw, list):
        raise CatalogDataError(f"{path}: must be a JSON list of model entries")
    provider = path.stem
    entries: list[ModelEntry] = []
    for index, item in enumerate(raw):
        where = _where(path, index, item)
        try:
            entry = ModelEntry.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}"
                for err in exc.errors()
            )
            raise CatalogDataError(f"{where}: {problems}") from exc
        if entry.provider != provider:
            raise CatalogDataError(
                f"{where}: provider {entry.provider!r} does not match the file name {path.name!r}"
            )
        check_entry(entry, where)
        entries.append(entry)
    return entries


def load_curated(directory: Path | None = None) -> list[ModelEntry]:
    """Every curated entry under ``directory`` (default: the packaged data), ids unique."""
    directory = directory or DATA_DIR
    if not directory.is_dir():
        return []
    seen: dict[str, str] = {}
    entries: list[ModelEntry] = []
    for path in sorted(directory.glob("*.json")):
        for entry in load_file(path):
            if entry.id in seen:
                raise CatalogDataError(
                    f"{path.name}: model id {entry.id!r} is already defined in {seen[entry.id]}"
                )
            seen[entry.id] = path.name
            entries.append(entry)
    return entries
