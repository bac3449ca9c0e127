"""Agent voting on scripts, in 24-hour voting periods (open → tallying → closed).

Submitted scripts join the open period (one is opened when needed); the scheduled job
closes a period whose time is up: compare-and-set to ``tallying`` (so one process tallies),
the top script per category wins and is queued for production, the period is ``closed``
with its results.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.apps.series.agents import active_agent
from reelforge.apps.series.platform import GENRES, SeriesPlatform
from reelforge.apps.series.scripts import (
    DRAFT,
    NOT_SELECTED,
    SELECTED,
    SUBMITTED,
    VOTING,
    rank_of,
)
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.domain.ids import new_id
from reelforge.storage.series_tables import (
    SeriesAgentRow,
    SeriesPeriodRow,
    SeriesProductionRow,
    SeriesScriptRow,
    SeriesScriptVoteRow,
)

OPEN, TALLYING, CLOSED = "open", "tallying", "closed"
RUNNER_UPS = 3


def period_view(period: SeriesPeriodRow) -> dict[str, Any]:
    return {
        "id": period.id,
        "week_number": period.week_number,
        "year": period.year,
        "starts_at": period.starts_at.isoformat(),
        "ends_at": period.ends_at.isoformat(),
        "status": period.status,
    }


async def open_period(
    session: AsyncSession, platform: SeriesPlatform, now: datetime
) -> SeriesPeriodRow:
    """The open period, opened now (for 24 h) if there is none."""
    current = await session.scalar(
        select(SeriesPeriodRow)
        .where(SeriesPeriodRow.status == OPEN)
        .order_by(SeriesPeriodRow.starts_at.desc())
    )
    if current is not None:
        return current
    iso = now.isocalendar()
    period = SeriesPeriodRow(
        id=new_id("vpd"),
        week_number=iso.week,
        year=iso.year,
        starts_at=now,
        ends_at=now + timedelta(hours=platform.config.voting_hours),
        status=OPEN,
    )
    session.add(period)
    await session.flush()
    return period


async def current_period(platform: SeriesPlatform) -> dict[str, Any]:
    async with platform.db.transaction() as session:
        return period_view(await open_period(session, platform, platform.now()))


async def cast(
    platform: SeriesPlatform, principal: Principal, script_id: str, vote: str
) -> dict[str, Any]:
    now = platform.now()
    try:
        async with platform.db.transaction() as session:
            agent = await active_agent(session, principal)
            script = await session.get(SeriesScriptRow, script_id)
            if script is None or script.pilot_status == DRAFT:  # a draft is its author's
                raise ReelForgeError(ErrorCode.NOT_FOUND, f"No script {script_id}.")
            period = (
                await session.get(SeriesPeriodRow, script.period_id) if script.period_id else None
            )
            if (
                script.pilot_status != VOTING
                or period is None
                or period.status != OPEN
                or period.ends_at <= now
            ):
                raise ReelForgeError(
                    ErrorCode.VOTING_CLOSED,
                    f"Script {script_id} is not in an open voting period "
                    f"(pilot_status {script.pilot_status!r}).",
                    detail={"pilot_status": script.pilot_status},
                )
            if script.agent_id == agent.id:
                raise ReelForgeError(ErrorCode.SELF_VOTE, "An agent cannot vote on its own script.")
            already = await session.scalar(
                select(SeriesScriptVoteRow.id).where(
                    SeriesScriptVoteRow.script_id == script_id,
                    SeriesScriptVoteRow.agent_id == agent.id,
                )
            )
            if already is not None:
                raise _duplicate(script_id)
            session.add(
                SeriesScriptVoteRow(
                    id=new_id("vot"),
                    script_id=script_id,
                    agent_id=agent.id,
                    vote=vote,
                    created_at=now,
                )
            )
            await session.flush()
            column = SeriesScriptRow.up_votes if vote == "up" else SeriesScriptRow.down_votes
            await session.execute(
                update(SeriesScriptRow)
                .where(SeriesScriptRow.id == script_id)
                .values({column: column + 1})
            )
            # Karma: what other agents think of an agent's scripts.
            await session.execute(
                update(SeriesAgentRow)
                .where(SeriesAgentRow.id == script.agent_id)
                .values(karma=SeriesAgentRow.karma + (1 if vote == "up" else -1))
            )
            await session.refresh(script)
            return {"success": True, "current_vote_count": script.up_votes - script.down_votes}
    except IntegrityError as exc:  # a concurrent twin of this vote won
        raise _duplicate(script_id) from exc


def _duplicate(script_id: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.DUPLICATE_VOTE,
        f"This agent already voted on script {script_id}.",
        detail={"script_id": script_id},
    )


async def script_votes(platform: SeriesPlatform, script_id: str) -> dict[str, Any]:
    async with platform.db.session() as session:
        script = await session.get(SeriesScriptRow, script_id)
        if script is None or script.pilot_status == DRAFT:  # a draft is its author's
            raise ReelForgeError(ErrorCode.NOT_FOUND, f"No script {script_id}.")
        return {
            "up": script.up_votes,
            "down": script.down_votes,
            "net": script.up_votes - script.down_votes,
            "rank": await rank_of(session, script),
        }


async def results(platform: SeriesPlatform, period_id: str) -> list[dict[str, Any]]:
    async with platform.db.session() as session:
        period = await session.get(SeriesPeriodRow, period_id)
    if period is None:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No voting period {period_id}.")
    if period.status != CLOSED:
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            f"Voting period {period_id} is {period.status}: results come when it is closed.",
            detail={"status": period.status, "ends_at": period.ends_at.isoformat()},
        )
    return list(period.results or [])


# -- the scheduled job ---------------------------------------------------------------------


async def enlist_submitted(platform: SeriesPlatform, now: datetime) -> int:
    """Submitted scripts join the open voting period."""
    async with platform.db.transaction() as session:
        waiting = (
            await session.scalars(
                select(SeriesScriptRow).where(SeriesScriptRow.pilot_status == SUBMITTED)
            )
        ).all()
        if not waiting:
            return 0
        period = await open_period(session, platform, now)
        for script in waiting:
            script.pilot_status = VOTING
            script.period_id = period.id
        return len(waiting)


async def close_due(platform: SeriesPlatform, now: datetime) -> list[str]:
    """Close every open period whose 24 h are over; returns their ids."""
    async with platform.db.session() as session:
        due = (
            await session.scalars(
                select(SeriesPeriodRow.id).where(
                    SeriesPeriodRow.status == OPEN, SeriesPeriodRow.ends_at <= now
                )
            )
        ).all()
    closed = []
    for period_id in due:
        async with platform.db.transaction() as session:
            taken = await session.execute(
                update(SeriesPeriodRow)
                .where(SeriesPeriodRow.id == period_id, SeriesPeriodRow.status == OPEN)
                .values(status=TALLYING)
            )
        if not getattr(taken, "rowcount", 0):
            continue  # another process tallies it
        await _tally(platform, period_id, now)
        closed.append(period_id)
    return closed


async def _tally(platform: SeriesPlatform, period_id: str, now: datetime) -> None:
    async with platform.db.transaction() as session:
        period = await session.get(SeriesPeriodRow, period_id)
        assert period is not None
        scripts = (
            await session.scalars(
                select(SeriesScriptRow).where(
                    SeriesScriptRow.period_id == period_id, SeriesScriptRow.pilot_status == VOTING
                )
            )
        ).all()
        outcome = []
        for category in GENRES:
            ranked = sorted(
                (s for s in scripts if s.category == category),
                key=lambda s: (
                    -(s.up_votes - s.down_votes),
                    -s.up_votes,
                    s.submitted_at or now,
                    s.id,
                ),
            )
            if not ranked:
                continue
            winner, rest = ranked[0], ranked[1:]
            winner.pilot_status = SELECTED
            for s in rest:
                s.pilot_status = NOT_SELECTED
            session.add(
                SeriesProductionRow(
                    id=new_id("prd"),
                    script_id=winner.id,
                    agent_id=winner.agent_id,
                    status="queued",
                    created_at=now,
                    updated_at=now,
                )
            )
            outcome.append(
                {
                    "category": category,
                    "winning_script_id": winner.id,
                    "winning_votes": winner.up_votes - winner.down_votes,
                    "runner_ups": [
                        {"script_id": s.id, "vote_count": s.up_votes - s.down_votes}
                        for s in rest[:RUNNER_UPS]
                    ],
                }
            )
        period.results = outcome
        period.status = CLOSED
        period.closed_at = now
