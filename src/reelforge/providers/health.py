"""Provider health per credential: recent errors, latency, and cooldowns (a circuit breaker).

Every provider call the engine makes is recorded here. After ``threshold`` provider-side
failures in a row (5xx, timeouts, unreachable, rate limits, out of credit, rejected key;
never a safety refusal or a bad request, which say nothing about the provider) the
credential is cooled down: routing skips it until ``cooldown_until``. When that time has
passed one call goes through (half-open); a success closes the breaker, a failure cools it
down again for twice as long, up to ``max_cooldown``. A ``Retry-After`` the provider gave
blocks the credential until then without counting as a cooldown.

State lives in process memory and is mirrored in the ``provider_health`` table: written on
every failure, cooldown and recovery, and otherwise at most every ``flush_seconds``; read
back every ``refresh_seconds``. So several workers share cooldowns within seconds, while
their failure counts merge approximately (the larger count wins) and latency figures are
each process's own, published through the table.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.logs import get_logger
from reelforge.providers.base import Credential
from reelforge.storage.db import Database
from reelforge.storage.routing_tables import ProviderHealthRow

log = get_logger("reelforge.providers.health")

# Failures that say the provider (or this credential at it) is not serving right now.
PROVIDER_FAILURES = frozenset(
    {
        ErrorCode.PROVIDER_ERROR,
        ErrorCode.ENGINE_OFFLINE,
        ErrorCode.ENGINE_TIMEOUT,
        ErrorCode.RATE_LIMITED,
        ErrorCode.PROVIDER_OUT_OF_CREDIT,
        ErrorCode.AUTH_FAILED,
    }
)
WINDOW_SECONDS = 300.0  # "recent" for error rates and latency


def credential_key(credential: Credential) -> str:
    """``provider:source[:fingerprint]``: per credential, without revealing it."""
    return credential.key


@dataclass
class KeyHealth:
    key: str
    provider: str
    consecutive_failures: int = 0
    trips: int = 0
    cooldown_until: float = 0.0
    blocked_until: float = 0.0
    last_error: dict[str, Any] | None = None
    last_error_at: float | None = None
    last_ok_at: float | None = None
    outcomes: deque[tuple[float, bool]] = field(default_factory=lambda: deque(maxlen=500))
    latencies: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=500))
    flushed_at: float = 0.0
    # Figures another process published (used when this one has none of its own).
    shared: dict[str, Any] = field(default_factory=dict)

    def recent(self, now: float) -> tuple[int, int, float | None]:
        """(calls, errors, p50 latency ms) in the recent window, this process's view."""
        since = now - WINDOW_SECONDS
        outcomes = [ok for t, ok in self.outcomes if t >= since]
        latencies = [ms for t, ms in self.latencies if t >= since]
        p50 = statistics.median(latencies) if latencies else None
        return len(outcomes), sum(1 for ok in outcomes if not ok), p50


class HealthBoard:
    def __init__(
        self,
        db: Database | None = None,
        *,
        threshold: int = 5,
        base_cooldown: float = 60.0,
        max_cooldown: float = 900.0,
        flush_seconds: float = 10.0,
        refresh_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.threshold = threshold
        self.base_cooldown = base_cooldown
        self.max_cooldown = max_cooldown
        self.flush_seconds = flush_seconds
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._keys: dict[str, KeyHealth] = {}
        self._refreshed_at = 0.0

    def get(self, key: str, provider: str | None = None) -> KeyHealth:
        found = self._keys.get(key)
        if found is None:
            found = self._keys[key] = KeyHealth(key, provider or key.split(":", 1)[0])
        return found

    # -- recording ---------------------------------------------------------------------
    async def record_ok(self, key: str, latency_s: float | None = None) -> None:
        now = self.clock()
        h = self.get(key)
        h.outcomes.append((now, True))
        if latency_s is not None:
            h.latencies.append((now, latency_s * 1000.0))
        h.last_ok_at = now
        recovered = h.consecutive_failures > 0 or h.trips > 0
        h.consecutive_failures = 0
        h.trips = 0
        h.cooldown_until = 0.0
        if recovered:
            log.info("provider_recovered", key=key)
        if recovered or now - h.flushed_at >= self.flush_seconds:
            await self._persist(h)

    async def record_failure(
        self, key: str, exc: ReelForgeError, latency_s: float | None = None
    ) -> bool:
        """Count a failure; True when this one put the credential into cooldown."""
        if exc.code not in PROVIDER_FAILURES:
            return False  # the request's fault, not the provider's
        now = self.clock()
        h = self.get(key)
        h.outcomes.append((now, False))
        if latency_s is not None:
            h.latencies.append((now, latency_s * 1000.0))
        h.last_error = {"code": str(exc.code), "message": exc.message[:300]}
        h.last_error_at = now
        if exc.code is ErrorCode.RATE_LIMITED and exc.retry_after:
            h.blocked_until = max(h.blocked_until, now + exc.retry_after)
        h.consecutive_failures += 1
        tripped = False
        if h.consecutive_failures >= self.threshold and h.cooldown_until <= now:
            h.trips += 1
            period = min(self.max_cooldown, self.base_cooldown * 2 ** (h.trips - 1))
            h.cooldown_until = now + period
            tripped = True
            log.warning(
                "provider_cooled_down",
                key=key,
                failures=h.consecutive_failures,
                seconds=period,
                code=str(exc.code),
            )
        await self._persist(h)
        return tripped

    # -- reading -----------------------------------------------------------------------
    def available_at(self, key: str) -> float:
        """When this credential may be called again (0 = now)."""
        h = self._keys.get(key)
        return max(h.cooldown_until, h.blocked_until) if h is not None else 0.0

    def cooling(self, key: str, now: float | None = None) -> bool:
        h = self._keys.get(key)
        return h is not None and h.cooldown_until > (self.clock() if now is None else now)

    def error_rate(self, key: str) -> float | None:
        h = self._keys.get(key)
        if h is None:
            return None
        calls, errors, _ = h.recent(self.clock())
        if not calls:
            calls, errors = h.shared.get("calls", 0), h.shared.get("errors", 0)
        return errors / calls if calls else None

    def snapshot(self, key: str) -> dict[str, Any]:
        """What GET /v1/providers shows for one credential."""
        now = self.clock()
        h = self._keys.get(key) or KeyHealth(key, key.split(":", 1)[0])
        calls, errors, p50 = h.recent(now)
        if not calls and h.shared:
            calls, errors, p50 = h.shared["calls"], h.shared["errors"], h.shared["p50_ms"]
        if h.cooldown_until > now:
            status = "cooling_down"
        elif h.blocked_until > now:
            status = "rate_limited"
        elif h.consecutive_failures:
            status = "degraded"
        elif calls:
            status = "ok"
        else:
            status = "unknown"  # nothing called recently
        return {
            "status": status,
            "consecutive_failures": h.consecutive_failures,
            "cooldown_until": h.cooldown_until if h.cooldown_until > now else None,
            "rate_limited_until": h.blocked_until if h.blocked_until > now else None,
            "last_error": h.last_error,
            "last_error_at": h.last_error_at,
            "last_ok_at": h.last_ok_at,
            "recent_calls": calls,
            "recent_errors": errors,
            "error_rate": round(errors / calls, 3) if calls else None,
            "p50_latency_ms": round(p50, 1) if p50 is not None else None,
            "window_seconds": WINDOW_SECONDS,
        }

    # -- sharing through the database --------------------------------------------------
    async def refresh(self, *, force: bool = False) -> None:
        """Merge what other processes recorded (throttled to every ``refresh_seconds``)."""
        now = self.clock()
        if self.db is None or (not force and now - self._refreshed_at < self.refresh_seconds):
            return
        self._refreshed_at = now
        async with self.db.session() as session:
            rows = (await session.execute(select(ProviderHealthRow))).scalars().all()
        for row in rows:
            h = self.get(row.key, row.provider)
            if row.updated_at <= h.flushed_at:
                continue  # our own last write, or older
            h.consecutive_failures = max(h.consecutive_failures, row.consecutive_failures)
            if row.consecutive_failures == 0 and (row.last_ok_at or 0) > (h.last_error_at or 0):
                h.consecutive_failures = 0  # another process saw it recover since
            h.trips = max(h.trips, row.trips)
            h.cooldown_until = max(h.cooldown_until, row.cooldown_until or 0.0)
            h.blocked_until = max(h.blocked_until, row.blocked_until or 0.0)
            if (row.last_error_at or 0) > (h.last_error_at or 0):
                h.last_error, h.last_error_at = row.last_error, row.last_error_at
            h.last_ok_at = max(h.last_ok_at or 0, row.last_ok_at or 0) or None
            h.shared = {"calls": row.calls, "errors": row.errors, "p50_ms": row.p50_ms}

    async def _persist(self, h: KeyHealth) -> None:
        if self.db is None:
            return
        now = self.clock()
        h.flushed_at = now
        calls, errors, p50 = h.recent(now)
        values = {
            "provider": h.provider,
            "consecutive_failures": h.consecutive_failures,
            "trips": h.trips,
            "cooldown_until": h.cooldown_until or None,
            "blocked_until": h.blocked_until or None,
            "last_error": h.last_error,
            "last_error_at": h.last_error_at,
            "last_ok_at": h.last_ok_at,
            "calls": calls,
            "errors": errors,
            "p50_ms": p50,
            "updated_at": now,
        }
        try:
            async with self.db.transaction() as session:
                dialect = session.get_bind().dialect.name
                module: Any = postgresql if dialect == "postgresql" else sqlite
                stmt = module.insert(ProviderHealthRow).values(key=h.key, **values)
                await session.execute(
                    stmt.on_conflict_do_update(index_elements=["key"], set_=values)
                )
        except Exception as exc:  # health is advisory: never fail a generation over it
            log.warning("provider_health_write_failed", key=h.key, error_type=type(exc).__name__)
