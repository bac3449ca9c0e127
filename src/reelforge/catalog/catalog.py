"""The Catalog service: curated entries (data files) merged with live ones (discovery).

For callers (engine, API, CLI):
- ``await catalog.get(model_id) -> ModelEntry`` — complete, with its parameter schema;
  unknown → NOT_FOUND naming close matches; a live provider with no catalog at all →
  CATALOG_UNAVAILABLE (502, retryable, ``retry_after``).
- ``await catalog.list_models(mode=, provider=, q=) -> Listing`` — sorted by price ascending within
  each mode, unknown prices last; ``stale`` says a live source's refresh failed and its
  last good copy is being served.

Live sources are refreshed when their copy is older than their TTL (Atlas: 10 minutes).
A failed refresh keeps the last good copy (flagged stale) and is not retried for
``retry_seconds``, so a provider outage does not slow every request down.
"""

from __future__ import annotations

import asyncio
import difflib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from reelforge.catalog.quotes import typical_micros
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import Mode
from reelforge.logs import get_logger

log = get_logger("reelforge.catalog")

_MODE_ORDER = {mode: index for index, mode in enumerate(Mode)}


class LiveSource(Protocol):
    """A provider whose models are discovered at run time (Atlas Cloud)."""

    provider: str
    ttl_seconds: float

    async def discover(self) -> list[ModelEntry]:
        """Every current entry; raise ReelForgeError when the provider cannot be asked."""
        ...

    async def complete(self, entry: ModelEntry) -> ModelEntry:
        """The entry with its parameter schema filled in."""
        ...


@dataclass
class SourceState:
    source: LiveSource
    entries: dict[str, ModelEntry] | None = None  # the last good copy
    fetched_at: float | None = None  # clock time of the last good copy
    fetched_wall: datetime | None = None
    attempted_at: float | None = None
    error: ReelForgeError | None = None  # the last refresh's failure, cleared on success
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    completed: dict[str, ModelEntry] = field(default_factory=dict)

    @property
    def stale(self) -> bool:
        return self.entries is not None and self.error is not None

    def status(self) -> dict[str, Any]:
        return {
            "provider": self.source.provider,
            "live": True,
            "available": self.entries is not None,
            "stale": self.stale,
            "models": len(self.entries or {}),
            "fetched_at": self.fetched_wall.isoformat() if self.fetched_wall else None,
            "error": self.error.message if self.error else None,
        }


@dataclass(frozen=True)
class Listing:
    entries: list[ModelEntry]
    stale: bool  # some live source's copy could not be refreshed
    unavailable: list[str]  # live providers with no copy at all (their models are missing)
    sources: list[dict[str, Any]]
    version: int  # changes whenever the merged catalog does (for response caches)


def sort_key(entry: ModelEntry, mode: Mode | None = None) -> tuple[int, bool, int, str]:
    """Mode, then known prices before unknown ones, then price ascending, then id."""
    micros = typical_micros(entry)
    group = _MODE_ORDER[mode or entry.primary_mode]
    return (group, micros is None, micros or 0, entry.id)


def _matches(entry: ModelEntry, q: str) -> bool:
    text = q.lower()
    haystack = (entry.id, entry.label, entry.description, *entry.tags)
    return any(text in part.lower() for part in haystack)


class Catalog:
    def __init__(
        self,
        curated: Iterable[ModelEntry] = (),
        live: Sequence[LiveSource] = (),
        *,
        clock: Callable[[], float] = time.monotonic,
        retry_seconds: float = 30.0,
    ) -> None:
        self._curated = {entry.id: entry for entry in curated}
        self._states = {source.provider: SourceState(source) for source in live}
        self._clock = clock
        self.retry_seconds = retry_seconds
        self.version = 0
        # Interfaces may keep renderings of the current catalog here (the API keeps listing
        # bodies); it is emptied whenever the catalog changes.
        self.view_cache: dict[Any, Any] = {}
        self._merged: list[ModelEntry] = []
        self._by_mode: dict[Mode, list[ModelEntry]] = {}
        self._by_id: dict[str, ModelEntry] = {}
        self._rebuild()

    # --- refresh ------------------------------------------------------------------

    def _due(self, state: SourceState) -> bool:
        now = self._clock()
        if state.attempted_at is not None and state.error is not None:
            return now - state.attempted_at >= self.retry_seconds
        return state.fetched_at is None or now - state.fetched_at >= state.source.ttl_seconds

    async def _refresh(self, state: SourceState, *, force: bool = False) -> None:
        if not force and not self._due(state):
            return
        async with state.lock:
            if not force and not self._due(state):
                return  # another request refreshed it while this one waited
            state.attempted_at = self._clock()
            try:
                entries = await state.source.discover()
            except ReelForgeError as exc:
                state.error = exc
                log.warning(
                    "catalog_refresh_failed",
                    provider=state.source.provider,
                    code=str(exc.code),
                    serving_stale=state.entries is not None,
                )
                return
            state.entries = {
                e.id: e
                for e in entries
                if e.id not in self._curated and e.provider == state.source.provider
            }
            state.completed.clear()
            state.fetched_at = state.attempted_at
            state.fetched_wall = datetime.now(UTC)
            state.error = None
            self._rebuild()

    async def refresh(self, provider: str | None = None, *, force: bool = False) -> None:
        """Refresh live sources that are due (all, or ``provider``'s); ``force`` ignores TTLs."""
        states = [s for name, s in self._states.items() if provider in (None, name)]
        await asyncio.gather(*(self._refresh(s, force=force) for s in states))

    def _rebuild(self) -> None:
        merged = dict(self._curated)
        for state in self._states.values():
            merged.update(state.entries or {})
        self._by_id = merged
        keys = {e.id: sort_key(e) for e in merged.values()}
        self._merged = sorted(merged.values(), key=lambda e: keys[e.id])
        # Per mode, price ascending (an entry with several modes is listed under each).
        self._by_mode = {
            mode: sorted((e for e in self._merged if mode in e.modes), key=lambda e: keys[e.id][1:])
            for mode in Mode
        }
        self.version += 1
        self.view_cache = {}

    def _unavailable_error(self, provider: str) -> ReelForgeError:
        state = self._states[provider]
        waited = self._clock() - (state.attempted_at or self._clock())
        retry_after = max(1.0, self.retry_seconds - waited)
        return ReelForgeError(
            ErrorCode.CATALOG_UNAVAILABLE,
            f"The {provider} model catalog could not be loaded"
            + (f": {state.error.message}" if state.error else "."),
            detail={"provider": provider, "cause": str(state.error.code) if state.error else None},
            retry_after=retry_after,
            remediation=(
                f"Try again in {round(retry_after)} s; the provider's catalog endpoint is not answering.",
                "Models of other providers are still listed by GET /v1/models.",
            ),
        )

    # --- reading --------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        curated: dict[str, int] = {}
        for entry in self._curated.values():
            curated[entry.provider] = curated.get(entry.provider, 0) + 1
        rows = [
            {"provider": p, "live": False, "available": True, "stale": False, "models": n}
            for p, n in sorted(curated.items())
        ]
        return rows + [state.status() for state in self._states.values()]

    async def list_models(
        self, mode: Mode | str | None = None, provider: str | None = None, q: str | None = None
    ) -> Listing:
        """Entries matching every given filter. Raises CATALOG_UNAVAILABLE only when the
        request is for one live provider that has never been loaded."""
        if provider is None or provider in self._states:
            await self.refresh(provider)
        if provider in self._states and self._states[provider].entries is None:
            raise self._unavailable_error(provider)
        wanted = Mode(mode) if mode else None
        entries: Iterable[ModelEntry] = self._merged
        if wanted is not None:
            entries = self._by_mode[wanted]
        if provider:
            entries = [e for e in entries if e.provider == provider]
        if q:
            entries = [e for e in entries if _matches(e, q)]
        states = [s for name, s in self._states.items() if provider in (None, name)]
        return Listing(
            entries=list(entries),
            stale=any(s.stale for s in states),
            unavailable=[s.source.provider for s in states if s.entries is None],
            sources=self.status(),
            version=self.version,
        )

    def close_matches(self, model_id: str, limit: int = 5) -> list[str]:
        ids = list(self._by_id)
        found = difflib.get_close_matches(model_id, ids, n=limit, cutoff=0.6)
        tail = model_id.lower().rsplit("/", 1)[-1]
        found += [i for i in ids if tail and tail in i.lower() and i not in found]
        return found[:limit]

    async def get(self, model_id: str) -> ModelEntry:
        """One complete entry (schema included) by id, e.g. ``atlas/google/nano-banana/edit``."""
        provider = model_id.split("/", 1)[0]
        state = self._states.get(provider)
        if state is not None:
            await self._refresh(state)
            if state.entries is None:
                raise self._unavailable_error(provider)
        entry = self._by_id.get(model_id)
        if entry is None:
            matches = self.close_matches(model_id)
            hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"Unknown model {model_id!r}.{hint}",
                detail={"model": model_id, "close_matches": matches},
                remediation=("List models with GET /v1/models or `reelforge models list`.",),
            )
        if state is None or not entry.live:
            return entry
        done = state.completed.get(model_id)
        if done is None:
            try:
                done = await state.source.complete(entry)
            except ReelForgeError as exc:
                raise ReelForgeError(
                    ErrorCode.CATALOG_UNAVAILABLE,
                    f"The settings of {model_id} could not be loaded: {exc.message}",
                    detail={"model": model_id, "cause": str(exc.code)},
                    retry_after=self.retry_seconds,
                ) from exc
            state.completed[model_id] = done
        return done

    def get_cached(self, model_id: str) -> ModelEntry | None:
        """The entry as last loaded, without refreshing or completing (for display)."""
        return self._by_id.get(model_id)
