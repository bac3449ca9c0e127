"""The series platform's scheduled jobs (jobs.scheduled runs them on the runner's side of
every process, one process per tick by a database lease)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from reelforge.apps.series import privacy, production, series, studios, voting, wallet
from reelforge.apps.series.platform import SeriesPlatform
from reelforge.apps.series.wiring import platform_of
from reelforge.jobs.scheduled import ScheduledJob

if TYPE_CHECKING:
    from reelforge.container import Container

HOURLY = 3600.0


def steps(
    platform: SeriesPlatform,
) -> list[tuple[str, float, Callable[[datetime], Awaitable[object]]]]:
    every = platform.config.job_seconds

    async def periods(now: datetime) -> None:
        await voting.enlist_submitted(platform, now)
        await voting.close_due(platform, now)

    async def productions(now: datetime) -> None:
        await production.start_queued(platform, now)
        await production.advance(platform, now)

    async def episodes(now: datetime) -> None:
        await series.close_clip_voting(platform, now)
        await series.start_episodes(platform, now)
        await series.advance_episodes(platform, now)

    return [
        ("series.voting_periods", every, periods),
        ("series.productions", every, productions),
        ("series.episodes", every, episodes),
        ("series.payouts", every, lambda now: wallet.process_payouts(platform, now)),
        ("series.studio_inactivity", HOURLY, lambda now: studios.expire_inactive(platform, now)),
        ("series.purge", HOURLY, lambda now: privacy.purge_due(platform, now)),
    ]


def scheduled_jobs(container: Container) -> list[ScheduledJob]:
    platform = platform_of(container)

    def on_platform_clock(
        run: Callable[[datetime], Awaitable[object]],
    ) -> Callable[[datetime], Awaitable[object]]:
        # The platform's clock, not the scheduler's: the same in production, and a sandbox
        # clock moved forward (console.advance) stays consistent with what jobs close.
        return lambda _now: run(platform.now())

    return [
        ScheduledJob(name, every, on_platform_clock(run)) for name, every, run in steps(platform)
    ]


async def run_all(platform: SeriesPlatform, now: datetime) -> None:
    """Every job once, in order (tests and the bench drive time with this)."""
    for _name, _every, run in steps(platform):
        await run(now)
