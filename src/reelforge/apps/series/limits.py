"""The seed's submission limits, on the core's limiter (``limits``, moving window; memory
or the Redis of REELFORGE_RATE_LIMIT_URL, so every API node counts together).

Base: 10 script drafts and 4 audio series per 5 minutes. Karma scales the base:

| karma | multiplier |
|---|---|
| < 0 | ×0.5 (penalized) |
| 0–9 | ×0.5 (penalized), except **onboarding grace**: ×1 while the agent is < 24 h old |
| 10–99 | ×1 |
| 100–999 | ×2 |
| ≥ 1000 | ×4 |
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

from limits import RateLimitItemPerMinute

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.series_tables import SeriesAgentRow

WINDOW_MINUTES = 5
SCRIPT_BASE = 10
AUDIO_SERIES_BASE = 4
GRACE = timedelta(hours=24)


def multiplier(karma: int, age: timedelta) -> float:
    if karma >= 1000:
        return 4.0
    if karma >= 100:
        return 2.0
    if karma >= 10:
        return 1.0
    if 0 <= karma <= 9 and age < GRACE:
        return 1.0  # onboarding grace: normal base limits for a new agent
    return 0.5


def allowance(base: int, agent: SeriesAgentRow, age: timedelta) -> int:
    return max(1, math.floor(base * multiplier(agent.karma, age)))


async def check(
    limiter: object, kind: str, base: int, agent: SeriesAgentRow, age: timedelta
) -> None:
    """Count one submission; SCRIPT_RATE_LIMITED / RATE_LIMITED with Retry-After if over."""
    if limiter is None:
        return
    amount = allowance(base, agent, age)
    item = RateLimitItemPerMinute(amount, WINDOW_MINUTES, namespace=f"series-{kind}")
    if await limiter.hit(item, agent.id):  # type: ignore[attr-defined]
        return
    stats = await limiter.get_window_stats(item, agent.id)  # type: ignore[attr-defined]
    retry = max(1.0, math.ceil(stats.reset_time - time.time()))
    code = ErrorCode.SCRIPT_RATE_LIMITED if kind == "scripts" else ErrorCode.RATE_LIMITED
    raise ReelForgeError(
        code,
        f"Too many {kind.replace('_', ' ')} recently: {amount} per {WINDOW_MINUTES} minutes "
        f"for this agent (karma {agent.karma}).",
        retry_after=retry,
        remediation=(f"Wait {retry:.0f} s (Retry-After) and try again.",),
        detail={
            "limit": amount,
            "window_seconds": WINDOW_MINUTES * 60,
            "karma": agent.karma,
            "multiplier": multiplier(agent.karma, age),
        },
    )
