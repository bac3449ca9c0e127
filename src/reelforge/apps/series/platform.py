"""The series platform's services in one place: its settings, the core services it uses
(database, runs, artifacts), a clock that tests can move, and the rate limiter."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reelforge.apps.series.facilitator import Facilitator, HttpFacilitator, LocalFacilitator
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.db import Database
from reelforge.storage.tables import utcnow

GENRES = (
    "action",
    "adventure",
    "comedy",
    "drama",
    "thriller",
    "horror",
    "sci_fi",
    "fantasy",
    "romance",
    "crime",
)
GENRE_NAMES = {
    "action": "Action",
    "adventure": "Adventure",
    "comedy": "Comedy",
    "drama": "Drama",
    "thriller": "Thriller",
    "horror": "Horror",
    "sci_fi": "Sci-Fi",
    "fantasy": "Fantasy",
    "romance": "Romance",
    "crime": "Crime",
}
MAX_STUDIOS = 10
EPISODES = 5
CLIP_VARIANTS = 4
RETENTION_DAYS = 30
INACTIVITY_DAYS = 90  # "3 months without a script loses the slot"


@dataclass
class SeriesConfig:
    sandbox: bool
    network: str
    pay_to: str | None
    facilitator_url: str
    tip_default_cents: int
    tip_min_cents: int
    voting_hours: float
    clip_voting_hours: float
    job_seconds: float
    staking_enabled: bool
    public_base_url: str = "http://localhost"
    cdp_key_id: str | None = None
    cdp_key_secret: str | None = None


def cents(micros: int) -> int | float:
    """Micro-USD as cents for the seed's ``*_cents`` fields (an exact int when whole)."""
    whole, rest = divmod(micros, 10_000)
    return whole if rest == 0 else micros / 10_000


def sandbox_pay_to(secret: str) -> str:
    """A stable sandbox address for the platform (nobody holds its key: sandbox only)."""
    return "0x" + hashlib.sha256(f"series-pay-to:{secret}".encode()).hexdigest()[:40]


@dataclass
class SeriesPlatform:
    db: Database
    config: SeriesConfig
    runs: Any = None  # engine.service.RunService (productions are runs)
    artifacts: Any = None  # storage.artifacts.ArtifactStore
    runner: Any = None  # jobs.runner.Runner (to start the runs it creates)
    limiter: Any = None  # a ``limits`` async strategy (the core's limiter)
    facilitator: Facilitator = field(default_factory=LocalFacilitator)
    clock: Callable[[], datetime] = utcnow
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock()

    def wall_now(self) -> datetime:
        """The time signatures are checked against (x402 validity windows, registration
        timestamps): the platform's clock without a sandbox skip-ahead (console.advance),
        because wallets sign with the real time."""
        offset: timedelta = self.extras.get("clock_offset", timedelta())
        return self.clock() - offset

    def require_pay_to(self) -> str:
        if not self.config.pay_to:
            raise ReelForgeError(
                ErrorCode.FEATURE_DISABLED,
                "Tip-votes are off: the platform has no wallet to receive them.",
                remediation=("Set REELFORGE_SERIES_PAY_TO to the platform's 0x address.",),
            )
        return self.config.pay_to


def make_facilitator(config: SeriesConfig) -> Facilitator:
    """``local``; ``cdp`` (or the CDP URL): Coinbase's, with a CDP JWT per request; any
    other URL: an open facilitator (e.g. https://x402.org/facilitator, testnet)."""
    from reelforge.apps.series.cdp import CDP_FACILITATOR_URL, CdpFacilitator

    url = config.facilitator_url
    if url == "local":
        return LocalFacilitator()
    if url == "cdp" or url.startswith("https://api.cdp.coinbase.com/"):
        if not (config.cdp_key_id and config.cdp_key_secret):
            raise ReelForgeError(
                ErrorCode.FEATURE_DISABLED,
                "The Coinbase x402 facilitator needs a CDP API key.",
                remediation=(
                    "Set REELFORGE_SERIES_CDP_API_KEY_ID and REELFORGE_SERIES_CDP_API_KEY_SECRET.",
                ),
            )
        target = CDP_FACILITATOR_URL if url == "cdp" else url
        return CdpFacilitator(config.cdp_key_id, config.cdp_key_secret, url=target)
    return HttpFacilitator(url)
