"""Atlas Cloud live discovery: its public model list turned into catalog entries.

Rules (issue 5; seeds/002 Atlas modes design):
- keep models with ``display_console`` true and ``type`` Image or Video;
- mode from the id: Image → ``edit``/``reference-to-image`` = i2i, else t2i; Video →
  ``video-to-video``/``video-edit``/``video-extend`` = v2v, then ``image-to-video``/
  ``start-end-to-video``/``reference-to-video``/``infinite-image-to-video``/``animate`` = i2v,
  then ``text-to-video`` = t2v, else the schema decides (a required video field = v2v, a
  required image field = i2v, else t2v); a model whose schema cannot be had is left out;
- price = ``price.actual.base_price``, else ``price.origin.base_price``, else 0, per
  generation (Atlas prices are flat per model variant).
Schemas are fetched lazily (``complete``) except for the few models the fallback needs.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

import httpx

from reelforge.catalog.prompts import text_params
from reelforge.domain.catalog import Features, Limits, MediaSlot, ModelEntry, Price, PriceBasis
from reelforge.domain.errors import ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.domain.money import MoneyParseError, parse_usd
from reelforge.logs import get_logger
from reelforge.providers import atlas, atlas_api
from reelforge.providers.media_params import media_kind_of, primary_media_param

log = get_logger("reelforge.catalog.atlas")

PROVIDER = "atlas"
KEPT_TYPES = {"image": MediaKind.IMAGE, "video": MediaKind.VIDEO}
_I2I = re.compile(r"edit|reference-to-image")
_V2V = re.compile(r"video-to-video|video-edit|video-extend")
_I2V = re.compile(
    r"image-to-video|start-end-to-video|reference-to-video|infinite-image-to-video|animate"
)
_T2V = re.compile(r"text-to-video")
_AUDIO_SWITCHES = ("generate_audio", "enable_audio", "with_audio", "audio_enabled", "sound")
_END_FRAMES = ("end_image", "last_image", "last_frame", "tail_image", "end_frame", "end_image_url")

SchemaLoader = Callable[[Mapping[str, Any]], Awaitable[dict[str, Any] | None]]


def classify_by_id(model_id: str, kind: MediaKind) -> Mode | None:
    """The mode the id says, or None when the schema must decide (videos only)."""
    text = model_id.lower()
    if kind is MediaKind.IMAGE:
        return Mode.I2I if _I2I.search(text) else Mode.T2I
    if _V2V.search(text):
        return Mode.V2V
    if _I2V.search(text):
        return Mode.I2V
    if _T2V.search(text):
        return Mode.T2V
    return None


def classify_by_schema(schema: Mapping[str, Any]) -> Mode:
    """Video fallback: a required video field → v2v, a required image field → i2v, else t2v."""
    props = schema.get("properties") or {}
    kinds = {
        media_kind_of(name, props.get(name) if isinstance(props.get(name), dict) else None)
        for name in schema.get("required") or []
    }
    if MediaKind.VIDEO in kinds:
        return Mode.V2V
    if MediaKind.IMAGE in kinds:
        return Mode.I2V
    return Mode.T2V


def kept_kind(raw: Mapping[str, Any]) -> MediaKind | None:
    """The output kind of a model we list, or None for hidden, text, audio or odd entries."""
    if raw.get("display_console") is not True or not raw.get("model"):
        return None
    return KEPT_TYPES.get(str(raw.get("type", "")).lower())


async def classify(raw: Mapping[str, Any], load_schema: SchemaLoader) -> Mode | None:
    kind = kept_kind(raw)
    if kind is None:
        return None
    mode = classify_by_id(str(raw["model"]), kind)
    if mode is not None:
        return mode
    schema = await load_schema(raw)
    return classify_by_schema(schema) if schema is not None else None


def _usd(value: Any) -> int | None:
    """Micro-USD from an Atlas price field (a string, sometimes a number); None if garbage."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    try:
        return parse_usd(value)
    except MoneyParseError:
        return None


def parse_price(raw: Mapping[str, Any], *, as_of: datetime | None = None) -> Price:
    """``price.actual.base_price``, else ``price.origin.base_price``, else 0 (the catalog
    rule for a model that states no price). A price that is stated but unreadable is not
    turned into 0: it is ``unknown`` so no quote pretends the model is free."""
    price = raw.get("price") if isinstance(raw.get("price"), Mapping) else {}
    day = (as_of or datetime.now(UTC)).date()
    stated = False
    for part in ("actual", "origin"):
        block = price.get(part) if isinstance(price, Mapping) else None
        if not isinstance(block, Mapping) or block.get("base_price") in (None, ""):
            continue
        stated = True
        micros = _usd(block["base_price"])
        if micros is not None:
            source = f"atlas /api/v1/models price.{part}.base_price"
            return Price(micros=micros, basis=PriceBasis.PER_GENERATION, source=source, as_of=day)
    if stated:
        return Price(micros=None, source="atlas /api/v1/models: unreadable base_price", as_of=day)
    return Price(micros=0, source="atlas /api/v1/models: no base_price stated", as_of=day)


def base_entry(raw: Mapping[str, Any], mode: Mode, *, as_of: datetime | None = None) -> ModelEntry:
    model = str(raw["model"])
    tags = [str(t) for t in [*(raw.get("tags") or []), *(raw.get("categories") or [])] if t]
    return ModelEntry(
        id=f"{PROVIDER}/{model}",
        provider=PROVIDER,
        provider_model=model,
        label=str(raw.get("displayName") or model),
        modes=[mode],
        output_kind=mode.output_kind,
        price=parse_price(raw, as_of=as_of),
        description=str(raw.get("profile") or ""),
        tags=list(dict.fromkeys(tags)),
        live=True,
    )


def _enum(props: Mapping[str, Any], *names: str) -> list[Any]:
    for name in names:
        spec = props.get(name)
        if isinstance(spec, Mapping) and isinstance(spec.get("enum"), list):
            return list(spec["enum"])
    return []


def _seconds(values: list[Any]) -> list[float]:
    out = []
    for value in values:
        try:
            out.append(float(str(value).rstrip("s")))
        except ValueError:
            continue
    return out


def _slot(name: str, kind: MediaKind, spec: Mapping[str, Any], required: bool) -> MediaSlot:
    """A media slot; an array parameter (``images``) is a list slot with its item bounds."""
    if spec.get("type") != "array":
        return MediaSlot(name=name, kind=kind, required=required)
    low, high = spec.get("minItems"), spec.get("maxItems")
    low = low if isinstance(low, int) and low >= 0 else None
    high = high if isinstance(high, int) and high >= 1 else None
    if low is not None and high is not None and low > high:
        low = high = None  # contradictory bounds: trust neither
    return MediaSlot(
        name=name, kind=kind, required=required, multiple=True, min_items=low, max_items=high
    )


def with_schema(entry: ModelEntry, schema: dict[str, Any] | None) -> ModelEntry:
    """The entry completed with its parameter schema, media slots, limits and features."""
    if schema is None:
        # No published schema: pass params through unchecked rather than reject them all.
        return entry.model_copy(
            update={
                "params_schema": {"type": "object", "properties": {}, "additionalProperties": True}
            }
        )
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    needed = set(entry.primary_mode.input_kinds)
    primaries = {primary_media_param(schema, kind) for kind in needed}
    slots = []
    for name, spec in props.items():
        kind = media_kind_of(name, spec)
        if kind is not None:
            slots.append(_slot(name, kind, spec, name in required or name in primaries))
    names = set(props)
    prompt_name = text_params(schema).get("prompt")
    prompt_spec = props.get(prompt_name) if prompt_name else None
    max_chars = prompt_spec.get("maxLength") if isinstance(prompt_spec, Mapping) else None
    switches = [n for n in _AUDIO_SWITCHES if props.get(n, {}).get("type") == "boolean"]
    return entry.model_copy(
        update={
            "params_schema": schema,
            "inputs": slots,
            "limits": Limits(
                durations=_seconds(_enum(props, "duration")),
                aspect_ratios=[str(v) for v in _enum(props, "aspect_ratio")],
                resolutions=[str(v) for v in _enum(props, "resolution", "size", "image_size")],
                max_prompt_chars=max_chars
                if isinstance(max_chars, int) and max_chars > 0
                else None,
            ),
            "features": Features(
                negative_prompt="negative_prompt" in names,
                seed="seed" in names,
                audio=bool(switches),
                last_frame=any(n in names for n in _END_FRAMES),
            ),
        }
    )


class AtlasDiscovery:
    """A live catalog source (see catalog.catalog.LiveSource) over Atlas's public API."""

    provider = PROVIDER
    ttl_seconds = 600.0

    def __init__(
        self, client: httpx.AsyncClient, base_url: str | None = None, *, concurrency: int = 8
    ) -> None:
        self.client = client
        self.base_url = (base_url or atlas.AtlasProvider.default_base_url).rstrip("/")
        self._limit = asyncio.Semaphore(concurrency)
        # model id → its list object from the last discovery (for the schema URL).
        self._raw: dict[str, Mapping[str, Any]] = {}

    def _schema_url(self, raw: Mapping[str, Any]) -> str | None:
        url = raw.get("schema")
        if not isinstance(url, str) or not url:
            return None
        return urljoin(f"{self.base_url}/api/v1/models", url)

    async def _load_schema(self, raw: Mapping[str, Any]) -> dict[str, Any] | None:
        url = self._schema_url(raw)
        if url is None:
            return None
        async with self._limit:
            try:
                return await atlas_api.fetch_input_schema(self.client, url)
            except ReelForgeError as exc:
                # One broken schema leaves one model out of this round, not the catalog.
                log.warning("atlas_schema_failed", model=raw.get("model"), code=str(exc.code))
                return None

    async def discover(self) -> list[ModelEntry]:
        """Every listed image/video model, classified and priced. Raises ReelForgeError
        when the list itself cannot be fetched (the catalog then serves its last good copy)."""
        models = await atlas_api.fetch_models(self.client, self.base_url)
        now = datetime.now(UTC)
        seen: set[str] = set()
        kept = []
        for raw in models:
            if kept_kind(raw) is not None and str(raw["model"]) not in seen:
                seen.add(str(raw["model"]))
                kept.append(raw)
        modes = await asyncio.gather(*(classify(raw, self._load_schema) for raw in kept))
        entries = []
        for raw, mode in zip(kept, modes, strict=True):
            if mode is None:
                log.debug("atlas_model_unclassified", model=raw.get("model"))
                continue
            try:
                entries.append(base_entry(raw, mode, as_of=now))
            except (ValueError, TypeError) as exc:
                # One odd list object leaves one model out, never the whole catalog.
                log.warning("atlas_model_unusable", model=raw.get("model"), error=str(exc)[:200])
        self._raw = {str(raw["model"]): raw for raw in kept}
        return entries

    async def complete(self, entry: ModelEntry) -> ModelEntry:
        """The entry with its schema (fetched once per process). Raises ReelForgeError
        (CATALOG_UNAVAILABLE upstream) when the schema cannot be fetched."""
        raw = self._raw.get(entry.provider_model, {})
        url = self._schema_url(raw)
        schema = await atlas_api.fetch_input_schema(self.client, url) if url else None
        return with_schema(entry, schema)
