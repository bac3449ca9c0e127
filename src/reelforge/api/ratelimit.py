"""Per-user and per-key rate limits on the endpoints that start work, with the ``limits``
library: a moving window per minute, the base figures from settings multiplied by the
user's plan's ``rate_limit_multiplier``. ``memory://`` counts in this process; a Redis
URL shares the counts between every API node that uses it.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal, Role


def storage_uri(url: str) -> str:
    """``memory://`` / ``redis://...`` as the settings say them → the async storages."""
    return url if url.startswith("async+") else f"async+{url}"


class RateLimiter:
    def __init__(
        self,
        url: str,
        *,
        per_user: int,
        per_key: int,
        exempt: frozenset[Role] = frozenset(),
        key_prefix: str = "reelforge-rl",
    ) -> None:
        options: dict[str, str] = {}
        if url.startswith(("redis", "async+redis")):
            # redis-py (already a dependency) rather than coredis.
            options = {"implementation": "redispy", "key_prefix": key_prefix}
        storage = storage_from_string(storage_uri(url), **options)
        assert isinstance(storage, Storage)
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.per_user = per_user
        self.per_key = per_key
        self.exempt = exempt

    @staticmethod
    def _item(base: int, multiplier: float, namespace: str) -> RateLimitItem | None:
        if base <= 0:
            return None
        return RateLimitItemPerMinute(max(1, math.floor(base * multiplier)), namespace=namespace)

    async def check(self, principal: Principal) -> None:
        """Count one request of this caller, or raise RATE_LIMITED with Retry-After."""
        if principal.role in self.exempt:
            return
        checks = [
            (self._item(self.per_key, principal.rate_multiplier, "key"), principal.api_key_id),
            (self._item(self.per_user, principal.rate_multiplier, "user"), principal.user_id),
        ]
        for item, ident in checks:
            if item is None:
                continue
            try:
                allowed = await self.limiter.hit(item, ident)
                stats = None if allowed else await self.limiter.get_window_stats(item, ident)
            except self.storage.base_exceptions as exc:
                # Refused rather than let through unlimited: the store is part of the contract.
                raise ReelForgeError(
                    ErrorCode.INTERNAL_ERROR,
                    "The rate-limit store (REELFORGE_RATE_LIMIT_URL) cannot be reached.",
                    remediation=(
                        "Check that the Redis server in REELFORGE_RATE_LIMIT_URL is running,",
                        "or use memory:// for a single API node.",
                    ),
                    detail={"error": type(exc).__name__},
                ) from exc
            if stats is not None:
                retry = max(1.0, math.ceil(stats.reset_time - time.time()))
                per = "key" if item.namespace == "key" else "user"
                raise ReelForgeError(
                    ErrorCode.RATE_LIMITED,
                    f"Too many generation requests for this {per}: {item.amount} a minute "
                    f"on this plan (×{principal.rate_multiplier:g}).",
                    retry_after=retry,
                    remediation=(
                        f"Wait {retry:.0f} s (Retry-After) and try again.",
                        "Or move to a plan with a higher rate limit.",
                    ),
                    detail={"limit": item.amount, "per": per, "window_seconds": 60},
                )

    async def aclose(self) -> None:
        # The memory storage keeps an expiry task; a Redis storage, a connection pool.
        timer = getattr(self.storage, "timer", None)
        if timer is not None:
            timer.cancel()
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()
