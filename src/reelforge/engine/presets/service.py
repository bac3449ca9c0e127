"""Presets as runs: check the inputs, resolve media and identity references, compile
against what is available to this user now, price each quality level, repair failed runs.

A run of a preset is an ordinary run (``RunService.create_run``) that also records the
preset, its quality level, its inputs (redacted), whether consent was given, and for a
repair the run it repairs. Everything here happens before the run is stored, so a
refusal (CONSENT_MISSING, DEPENDENCY_MISSING, FILE_NOT_FOUND) leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from reelforge.catalog.quotes import quote_generation
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.domain.money import format_usd
from reelforge.engine.characters import character_id_of
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.presets import inputs as preset_inputs
from reelforge.engine.presets.compile import (
    Availability,
    Compiled,
    Uploaded,
    compile_preset,
    option_params,
)
from reelforge.engine.presets.library import PresetLibrary, load_library
from reelforge.engine.presets.repair import repair_pipeline_document
from reelforge.engine.presets.schema import MEDIA_TYPES, QUALITIES, Preset, Quality
from reelforge.storage.artifact_tables import ArtifactRow

if TYPE_CHECKING:
    from reelforge.catalog.catalog import Catalog
    from reelforge.engine.characters import CharacterService
    from reelforge.engine.service import RunService
    from reelforge.providers.hub import ProviderHub

REPAIR_ID = "repair_pipeline_v1"
DEPENDENCY_CHECK_SECONDS = 5.0  # a ComfyUI that does not answer /object_info in time
# Engines reached at a URL the user configures: without one they are not there (a live
# answer from `connections` only means "no key needed").
_NEEDS_URL = {"comfyui": "ComfyUI is not configured (set COMFYUI_URL)"}


@dataclass
class PresetRun:
    """What to store: the compiled pipeline and what the run records of the request."""

    pipeline: Pipeline
    preset: str
    quality: Quality
    inputs: dict[str, Any]
    consent_given: bool
    repair_of: str | None = None
    compiled: Compiled | None = None

    def record(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "quality": self.quality,
            "inputs": self.inputs,
            "consent_given": self.consent_given,
            "repair_of": self.repair_of,
        }


class PresetService:
    def __init__(
        self,
        runs: RunService,
        hub: ProviderHub,
        catalog: Catalog,
        library: PresetLibrary | None = None,
        characters: CharacterService | None = None,
    ) -> None:
        self.runs = runs
        self.hub = hub
        self.catalog = catalog
        self.characters = characters
        self.library = library or load_library()
        known = {
            o.model
            for p in self.library.all()
            for s in p.steps
            for o in s.engines
            if catalog.get_cached(o.model) is not None
        }
        self.library.check_models(known)

    # --- availability ---------------------------------------------------------------

    async def availability(self, owner_id: str, preset: Preset | None = None) -> Availability:
        """Which models can serve now: their provider connected (a key stored or in the
        environment), or served by the sandbox; a local engine needing a URL has one."""
        from reelforge.providers.hub import Connection

        models = {
            o.model
            for p in ([preset] if preset else self.library.all())
            for p2 in [p, *self._chained(p)]
            for s in p2.steps
            for o in s.engines
        }
        providers = {m.split("/", 1)[0] for m in models}
        why: dict[str, str | None] = {}
        for name in providers:
            connection, source = await self.hub.connection(name, owner_id)
            if connection is Connection.OFFLINE:
                why[name] = f"{name} is not connected"
            elif source == "none" and name in _NEEDS_URL:
                why[name] = _NEEDS_URL[name]
            else:
                why[name] = None

        lacking = await self._comfyui_lacks(owner_id, models, why)

        def available(model: str) -> str | None:
            if self.catalog.get_cached(model) is None:
                return f"{model} is not in the catalog"
            if model in lacking:
                return lacking[model]
            return why.get(model.split("/", 1)[0], "unknown provider")

        return available

    def modes(self, model: str) -> list[str]:
        entry = self.catalog.get_cached(model)
        return [m.value for m in entry.modes] if entry is not None else []

    async def _comfyui_lacks(
        self, owner_id: str, models: set[str], why: Mapping[str, str | None]
    ) -> dict[str, str]:
        """ComfyUI templates the server cannot run (an extension, node or model file it
        lacks, asked of its /object_info): routing moves on to the next engine, and a
        step left with none says what to install."""
        wanted = sorted(m for m in models if m.startswith("comfyui/"))
        if not wanted or why.get("comfyui") is not None:
            return {}
        try:
            resolved = await self.hub.resolve("comfyui", owner_id)
        except ReelForgeError:
            return {}

        async def lacks(model: str) -> tuple[str, list[str] | None]:
            try:
                async with asyncio.timeout(DEPENDENCY_CHECK_SECONDS):
                    found = await resolved.provider.missing_dependencies(model, resolved.credential)
                return model, found
            except (ReelForgeError, TimeoutError):
                return model, None  # not answering: the run says so when it gets there

        found = await asyncio.gather(*(lacks(m) for m in wanted))
        return {
            model: f"ComfyUI lacks {', '.join(missing)} for {model}"
            for model, missing in found
            if missing
        }

    def _chained(self, preset: Preset) -> list[Preset]:
        subs = [self.library.get(s.preset) for s in preset.steps if s.preset]
        return [x for sub in subs for x in [sub, *self._chained(sub)]]

    # --- inputs ---------------------------------------------------------------------

    async def resolve_identity_reference(self, owner_id: str, value: Any) -> list[str]:
        """An identity reference (1-3 face images) as artifact ids of this user's images:
        uploaded image ids, or ``character:<id>`` for a character's reference images
        (engine.characters), mixed in any order, 3 images in all at most."""
        ids = [value] if isinstance(value, str) else list(value or [])
        if self.characters is not None and any(character_id_of(i) for i in ids):
            ids = await self.characters.identity_images(owner_id, ids)
        await self._check_artifacts(owner_id, {"identity_reference": ids}, MediaKind.IMAGE)
        return ids

    async def _check_artifacts(
        self, owner_id: str, named: Mapping[str, list[str]], kind: MediaKind | None = None
    ) -> dict[str, str]:
        ids = {i for group in named.values() for i in group}
        if not ids:
            return {}
        async with self.runs.db.session() as session:
            rows = (
                await session.execute(
                    select(ArtifactRow.id, ArtifactRow.kind).where(
                        ArtifactRow.id.in_(ids), ArtifactRow.owner_id == owner_id
                    )
                )
            ).all()
        kinds = {r[0]: r[1] for r in rows}
        for name, group in named.items():
            for artifact_id in group:
                if artifact_id not in kinds:
                    raise ReelForgeError(
                        ErrorCode.FILE_NOT_FOUND,
                        f"Input {name!r}: no artifact {artifact_id!r} (upload the file first).",
                        detail={"input": name, "artifact_id": artifact_id},
                    )
                if kind is not None and kinds[artifact_id] != kind.value:
                    raise ReelForgeError(
                        ErrorCode.UNSUPPORTED_MEDIA,
                        f"Input {name!r}: {artifact_id} is {kinds[artifact_id]}, not {kind.value}.",
                        detail={"input": name, "artifact_id": artifact_id},
                    )
        return kinds

    async def _media(
        self, owner_id: str, preset: Preset, values: dict[str, Any]
    ) -> dict[str, list[str]]:
        media = preset_inputs.media_inputs(preset, values)
        for name, ids in media.items():
            spec = preset.inputs[name]
            if spec.type == "identity_reference":
                media[name] = await self.resolve_identity_reference(owner_id, ids)
            else:
                await self._check_artifacts(
                    owner_id, {name: ids}, preset_inputs.expected_kind(spec)
                )
        return media

    # --- compile --------------------------------------------------------------------

    async def prepare(
        self,
        owner_id: str,
        preset_id: str,
        given: Mapping[str, Any],
        quality: Quality = "standard",
        *,
        consent_given: bool = False,
        exclude: frozenset[str] = frozenset(),
    ) -> PresetRun:
        """The run a preset makes of these inputs, or the refusal (nothing stored)."""
        preset = self.library.get(preset_id)
        if preset.kind == "repair":
            return await self.repair(owner_id, given, quality)
        values = preset_inputs.check_inputs(preset, given)
        media = await self._media(owner_id, preset, values)
        available = await self.availability(owner_id, preset)
        compiled = compile_preset(
            self.library,
            preset,
            preset_inputs.resolved(values, media),
            quality,
            available,
            consent=consent_given,
            exclude=exclude,
            modes=self.modes,
        )
        if compiled.needs_consent and not consent_given:
            raise _consent_missing(preset)
        return PresetRun(
            compiled.pipeline,
            preset.id,
            quality,
            preset_inputs.recorded_inputs(values),
            consent_given,
            compiled=compiled,
        )

    async def repair(self, owner_id: str, given: Mapping[str, Any], quality: Quality) -> PresetRun:
        """Re-run a failed run with safer settings on another engine (seed §5.2 #12)."""
        preset = self.library.get(REPAIR_ID)
        values = preset_inputs.check_inputs(preset, given)
        failed_id = str(values["failed_job_id"])
        try:
            run, steps = await self.runs.get_run(failed_id, owner_id)
        except ReelForgeError as exc:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"Failed job not found: no run {failed_id!r}.",
                detail={"run_id": failed_id},
            ) from exc
        if run.status not in ("failed", "canceled"):
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"Run {failed_id} has status {run.status!r}: only failed or canceled runs are repaired.",
                detail={"run_id": failed_id, "status": run.status},
            )
        failed_models = {
            m
            for s in steps
            if s.status == "failed"
            for m in (s.model, s.served_by)
            if m and m != "cache"
        }
        override = values.get("quality_override")
        original_preset, original_inputs = run.preset, dict(run.inputs or {})
        if original_preset == REPAIR_ID:  # a repair of a repair repairs the original
            original_preset = original_inputs.get("preset")
            original_inputs = dict(original_inputs.get("inputs") or {})
        # The repair's own level says what to do (seed §5.2 #12): low forces the low
        # level; standard (and pro, which does not apply) keep the failed run's level.
        # quality_override, when given, decides instead.
        choice = override or ("low" if quality == "low" else "standard")
        original_quality: Quality = run.quality if run.quality in QUALITIES else "standard"  # type: ignore[assignment]
        level: Quality = "low" if choice == "low" else original_quality
        record_inputs = {
            "failed_job_id": failed_id,
            "quality_override": override,
            "preset": original_preset,
            "inputs": original_inputs,
            "excluded_models": sorted(failed_models),
        }
        if original_preset:
            again = await self.prepare(
                owner_id,
                original_preset,
                original_inputs,
                level,
                consent_given=run.consent_given,
                exclude=frozenset(failed_models),
            )
            pipeline, compiled = again.pipeline, again.compiled
        else:
            pipeline = repair_pipeline_document(run.pipeline, steps, failed_models)
            compiled = None
        return PresetRun(
            pipeline,
            REPAIR_ID,
            level,
            record_inputs,
            run.consent_given,
            repair_of=failed_id,
            compiled=compiled,
        )

    # --- prices ---------------------------------------------------------------------

    async def price_ranges(self, owner_id: str, preset: Preset) -> dict[str, Any]:
        """Per quality level: the least and the most a run can cost with the engines
        available now (cheapest serving option and optional steps left out; dearest
        option and every optional input given), from the catalog's quotes."""
        if preset.kind == "repair":
            return {q: {"known": False, "display": "the failed run's price"} for q in QUALITIES}
        available = await self.availability(owner_id, preset)
        out: dict[str, Any] = {}
        for quality in QUALITIES:
            try:
                least = self._priced(preset, quality, available, full=False)
                most = self._priced(preset, quality, available, full=True)
            except ReelForgeError as exc:
                out[quality] = {"available": False, "error": exc.to_dict()}
                continue
            known = least[1] and most[1]
            out[quality] = {
                "available": True,
                "min_micros": least[0],
                "max_micros": most[0],
                "known": known,
                "display": _range_display(least[0], most[0], known),
            }
        return out

    def _priced(
        self, preset: Preset, quality: Quality, available: Availability, *, full: bool
    ) -> tuple[int, bool]:
        values: dict[str, Any] = {}
        for name, spec in preset.inputs.items():
            if not (spec.required or full):
                continue
            if spec.type in MEDIA_TYPES or spec.type == "identity_reference":
                values[name] = Uploaded(("art_sample",))
            elif spec.type in ("text", "run"):
                values[name] = "sample"
            elif spec.default is not None:
                values[name] = spec.default
        if not full:  # one of each group, the first
            values.update({g[0]: Uploaded(("art_sample",)) for g in preset.one_of})
        compiled = compile_preset(
            self.library,
            preset,
            values,
            quality,
            available,
            consent=True,
            modes=self.modes,
        )
        total, known = 0, True
        for node in compiled.pipeline.nodes:
            options = [(node.model or "", node.params)] + [
                (f.model, f.params or {}) for f in node.fallback_options
            ]
            quotes = []
            for model, params in options:
                entry = self.catalog.get_cached(model)
                if entry is None:
                    continue
                quotes.append(quote_generation(entry, params).micros)
            priced = [q for q in quotes if q is not None]
            if len(priced) < len(quotes):
                known = False
            if priced:
                total += max(priced) if full else min(priced)
        return total, known


def _range_display(least: int, most: int, known: bool) -> str:
    text = format_usd(least) if least == most else f"{format_usd(least)} – {format_usd(most)}"
    return text if known else f"≥ {text} + unknown"


def _consent_missing(preset: Preset) -> ReelForgeError:
    mode = preset.failure_modes.get(ErrorCode.CONSENT_MISSING)
    return ReelForgeError(
        ErrorCode.CONSENT_MISSING,
        f"{preset.name} uses a face or voice: it needs consent (consent_given: true).",
        detail={"preset": preset.id, "field": "consent_given"},
        remediation=tuple(mode.remediation) if mode else None,
    )


__all__ = ["REPAIR_ID", "PresetRun", "PresetService", "option_params"]
