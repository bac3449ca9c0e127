"""Failed API-key sign-ins per client address (POST /v1/session): guessing keys is hopeless
(256 bits), but a flood of tries still costs lookups and fills logs, so after
``session_attempts_per_minute`` failures an address waits (429 RATE_LIMITED)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from reelforge.api.ratelimit import storage_uri
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError


class LoginLimiter:
    def __init__(self, url: str, per_minute: int, key_prefix: str) -> None:
        options: dict[str, str] = {}
        if url.startswith(("redis", "async+redis")):
            options = {"implementation": "redispy", "key_prefix": key_prefix}
        storage = storage_from_string(storage_uri(url), **options)
        assert isinstance(storage, Storage)
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)
        self.item = (
            RateLimitItemPerMinute(per_minute, namespace="session-fail") if per_minute else None
        )

    async def check(self, address: str) -> None:
        """Refuse an address that failed too often in the last minute."""
        if self.item is None:
            return
        if not await self.limiter.test(self.item, address):
            stats = await self.limiter.get_window_stats(self.item, address)
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            raise ReelForgeError(
                ErrorCode.RATE_LIMITED,
                f"Too many failed sign-ins from this address ({self.item.amount} a minute).",
                retry_after=float(retry),
                remediation=(f"Wait {retry} s (Retry-After), then sign in with a valid API key.",),
                detail={"limit": self.item.amount, "per": "address", "window_seconds": 60},
            )

    async def aclose(self) -> None:
        timer = getattr(self.storage, "timer", None)
        if timer is not None:
            timer.cancel()

    async def failed(self, address: str) -> None:
        if self.item is not None:
            await self.limiter.hit(self.item, address)


def login_limiter(container: Container) -> LoginLimiter:
    limiter: LoginLimiter | None = container.extras.get("login_limiter")
    if limiter is None:
        s = container.settings
        limiter = LoginLimiter(s.rate_limit_url, s.session_attempts_per_minute, s.rate_limit_prefix)
        container.extras["login_limiter"] = limiter
        container._closers.append(limiter.aclose)
    return limiter
