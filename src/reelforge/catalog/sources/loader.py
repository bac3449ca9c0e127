"""Curated model sources: ``curated.json`` beside this module, a JSON list of ModelSource.

Where the values come from: url, file name, size, license and sha256 of every entry are
the ones the publisher's own page states (the Hugging Face LFS SHA-256 shown on the model
repository, or the hash published with a GitHub release); ``checksum_source`` names which.
This machine cannot reach the internet, so they were not re-measured here. An entry whose
sha256 cannot be stated has ``sha256: null``, is named "Example: ..." and is never
recommended; a download of it needs the user's acknowledgment and is not verified.

A broken entry stops start-up with the file, the entry and the problem (a silently missing
or unverifiable model is worse than a loud failure).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reelforge.domain.sources import ModelSource

DATA_FILE = Path(__file__).with_name("curated.json")


class SourceDataError(ValueError):
    """A curated model-source file that cannot be used as it is."""


def _where(path: Path, index: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"{path.name}[{index}]" + (f" ({ident})" if ident else "")


def load_curated_sources(path: Path | None = None) -> list[ModelSource]:
    path = path or DATA_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceDataError(f"{path}: not readable JSON: {exc}") from exc
    if not isinstance(raw, list):
        raise SourceDataError(f"{path}: must be a JSON list of model sources")
    seen: set[str] = set()
    places: set[tuple[str, str]] = set()
    sources: list[ModelSource] = []
    for index, item in enumerate(raw):
        where = _where(path, index, item)
        if isinstance(item, dict) and "curated" in item:
            raise SourceDataError(f"{where}: 'curated' is not set in data (every entry is)")
        try:
            source = ModelSource.model_validate({**item, "curated": True})
        except (ValidationError, TypeError) as exc:
            if isinstance(exc, ValidationError):
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}"
                    for err in exc.errors()
                )
            else:
                problems = "each entry must be a JSON object"
            raise SourceDataError(f"{where}: {problems}") from exc
        if problems_found := source.problems():
            raise SourceDataError(f"{where}: {'; '.join(problems_found)}")
        if source.id in seen:
            raise SourceDataError(f"{where}: id {source.id!r} is used twice")
        place = (source.folder, source.filename.lower())
        if place in places:
            raise SourceDataError(
                f"{where}: another entry already downloads to {source.folder}/{source.filename}"
            )
        seen.add(source.id)
        places.add(place)
        sources.append(source)
    return sources
