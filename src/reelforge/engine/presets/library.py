"""The preset library: every ``data/*.json`` file, validated when it is loaded.

A broken file (bad JSON, an unknown field, a step naming an input that does not exist, a
sub-preset that is not there, a model the catalog does not know) stops the start with
``PresetFileError`` naming the file and what is wrong: a preset that silently vanished
from the list would be worse than a server that does not start.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.presets.schema import Preset

DATA_DIR = Path(__file__).parent / "data"


class PresetFileError(RuntimeError):
    """A preset file that cannot be used (raised at load, never at run time)."""


class PresetLibrary:
    def __init__(self, presets: Iterable[Preset]) -> None:
        self.presets = {p.id: p for p in presets}

    def get(self, preset_id: str) -> Preset:
        preset = self.presets.get(preset_id)
        if preset is None:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"No preset {preset_id!r}.",
                detail={"preset": preset_id, "available": sorted(self.presets)},
                remediation=("List the presets with GET /v1/presets or `reelforge presets list`.",),
            )
        return preset

    def all(self) -> list[Preset]:
        return list(self.presets.values())

    def check_models(self, known: set[str]) -> None:
        """Every engine option names a model of the catalog (the static entries)."""
        for preset in self.presets.values():
            for step in preset.steps:
                for option in step.engines:
                    if option.model not in known:
                        raise PresetFileError(
                            f"preset {preset.id}: step {step.id!r} names model "
                            f"{option.model!r}, which is not in the catalog"
                        )


def load_file(path: Path) -> Preset:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PresetFileError(f"{path.name}: not readable JSON ({exc})") from exc
    try:
        preset = Preset.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()
        )
        raise PresetFileError(f"{path.name}: {problems}") from None
    if path.stem != preset.id:
        raise PresetFileError(f"{path.name}: the file must be named after its id {preset.id!r}")
    return preset


def load_library(directory: Path = DATA_DIR) -> PresetLibrary:
    presets = [load_file(p) for p in sorted(directory.glob("*.json"))]
    if not presets:
        raise PresetFileError(f"no preset files in {directory}")
    library = PresetLibrary(presets)
    for preset in presets:
        for step in preset.steps:
            if step.preset is None:
                continue
            if step.preset not in library.presets or step.preset == preset.id:
                raise PresetFileError(
                    f"{preset.id}.json: step {step.id!r} chains unknown preset {step.preset!r}"
                )
            sub = library.presets[step.preset]
            unknown = set(step.preset_inputs) - set(sub.inputs)
            if unknown:
                raise PresetFileError(
                    f"{preset.id}.json: step {step.id!r} gives {step.preset} unknown inputs "
                    f"{sorted(unknown)}"
                )
    return library
