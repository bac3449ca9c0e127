"""Per-credential request limits, applied before each provider call so we stay under a
provider's documented limits instead of collecting 429s.

Two limits per credential: ``concurrency`` (requests in flight at once) and ``rpm``
(requests per minute, leaky bucket via aiolimiter), plus ``submit_rpm`` where a provider
limits submissions separately. ``try_acquire`` never waits: it returns a permit, or how
long to wait, so a runner worker defers the step instead of blocking on one provider while
others have work. Limits hold per process: with several workers, divide them (or set
``overrides``) accordingly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter


@dataclass(frozen=True)
class RateLimits:
    concurrency: int | None = None  # requests in flight at once
    rpm: float | None = None  # all requests per minute
    submit_rpm: float | None = None  # submissions per minute
    source: str = "not documented: unlimited"


# Only documented figures (shared/reference); a provider without published numbers is not
# throttled here (its 429s and Retry-After are honoured by the retry policy instead).
DOCUMENTED: dict[str, RateLimits] = {
    "sync": RateLimits(
        rpm=600, submit_rpm=60, source="sync.so: 60 req/min on POST /v2/generate, 600 others"
    ),
    # Anonymous use only: with a key the limits depend on the account's tier.
    "pollinations:none": RateLimits(
        concurrency=1, rpm=12, source="pollinations: ~1 concurrent request / 5 s per IP"
    ),
    # A local ComfyUI queues prompts itself; a few at once keep its queue short.
    "comfyui": RateLimits(concurrency=4, source="local engine: keep its queue short"),
}
UNLIMITED = RateLimits()


@dataclass
class Permit:
    board: LimitBoard
    key: str
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.board._release(self.key)


@dataclass
class _KeyState:
    limits: RateLimits
    in_flight: int = 0
    all_calls: AsyncLimiter | None = None
    submits: AsyncLimiter | None = None
    deferred: int = field(default=0)


class LimitBoard:
    def __init__(self, overrides: Mapping[str, RateLimits] | None = None) -> None:
        self.table = {**DOCUMENTED, **(overrides or {})}
        self._keys: dict[str, _KeyState] = {}

    def limits_for(self, key: str) -> RateLimits:
        """Most specific first: ``provider:source:fp``, ``provider:source``, ``provider``."""
        provider, _, rest = key.partition(":")
        source = rest.split(":", 1)[0]
        if source == "sandbox":
            return UNLIMITED  # emulated: nothing to protect
        for name in (key, f"{provider}:{source}", provider):
            if name in self.table:
                return self.table[name]
        return UNLIMITED

    def _state(self, key: str) -> _KeyState:
        state = self._keys.get(key)
        if state is None:
            limits = self.limits_for(key)
            state = self._keys[key] = _KeyState(
                limits,
                all_calls=AsyncLimiter(limits.rpm, 60.0) if limits.rpm else None,
                submits=AsyncLimiter(limits.submit_rpm, 60.0) if limits.submit_rpm else None,
            )
        return state

    async def try_acquire(self, key: str, *, submit: bool = False) -> Permit | float:
        """A permit for one call now, or the seconds to wait before asking again."""
        state = self._state(key)
        limits = state.limits
        if limits.concurrency is not None and state.in_flight >= limits.concurrency:
            state.deferred += 1
            return 0.25
        buckets = [b for b in (state.all_calls, state.submits if submit else None) if b]
        for bucket in buckets:
            if not bucket.has_capacity():
                state.deferred += 1
                return bucket.time_period / bucket.max_rate
        for bucket in buckets:
            await bucket.acquire()  # has capacity: returns at once
        state.in_flight += 1
        return Permit(self, key)

    def _release(self, key: str) -> None:
        state = self._keys.get(key)
        if state is not None and state.in_flight > 0:
            state.in_flight -= 1

    def snapshot(self, key: str) -> dict[str, object]:
        state = self._keys.get(key)
        limits = state.limits if state else self.limits_for(key)
        return {
            "concurrency": limits.concurrency,
            "rpm": limits.rpm,
            "submit_rpm": limits.submit_rpm,
            "source": limits.source,
            "in_flight": state.in_flight if state else 0,
            "deferred": state.deferred if state else 0,
        }
