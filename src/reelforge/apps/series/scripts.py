"""Pilot scripts: draft → submit → voting (in the open voting period) → selected or not."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.apps.series import limits, scriptdata
from reelforge.apps.series.agents import active_agent, viewer_agent_id
from reelforge.apps.series.platform import SeriesPlatform
from reelforge.apps.series.studios import check_category, usable_studio, visible_scripts
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.domain.ids import new_id
from reelforge.storage.series_tables import SeriesScriptRow

DRAFT, SUBMITTED, VOTING = "draft", "submitted", "voting"
SELECTED, NOT_SELECTED = "selected", "not_selected"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def script_view(
    script: SeriesScriptRow, *, rank: int | None = None, data: bool = True
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": script.id,
        "studio_id": script.studio_id,
        "author_agent_id": script.agent_id,
        "category": script.category,
        "title": script.title,
        "logline": script.logline,
        "status": script.pilot_status,
        "pilot_status": script.pilot_status,
        "vote_count": script.up_votes - script.down_votes,
        "upvotes": script.up_votes,
        "downvotes": script.down_votes,
        "rank": rank,
        "voting_period_id": script.period_id,
        "created_at": _iso(script.created_at),
        "submitted_at": _iso(script.submitted_at),
    }
    if data:
        view["script_data"] = script.script_data
    return view


async def create_draft(
    platform: SeriesPlatform,
    principal: Principal,
    *,
    studio_id: str,
    title: str,
    logline: str,
    script_data: object,
) -> dict[str, Any]:
    async with platform.db.session() as session:
        agent = await active_agent(session, principal)
        await usable_studio(session, studio_id, agent.id)
    # Counted before validation: invalid drafts are submissions too (a flood is a flood).
    await limits.check(
        platform.limiter, "scripts", limits.SCRIPT_BASE, agent, platform.now() - agent.created_at
    )
    found = scriptdata.violations(scriptdata.PILOT, script_data)
    for field, value, low, high in (("title", title, 1, 100), ("logline", logline, 10, 280)):
        if not low <= len(value) <= high:
            found.insert(
                0,
                {
                    "path": f"$.{field}",
                    "message": f"{field} must be {low}-{high} chars",
                    "rule": "length",
                },
            )
    if found:
        raise ReelForgeError(
            ErrorCode.INVALID_SCRIPT,
            f"{len(found)} violation(s): "
            + "; ".join(f"{v['path']}: {v['message']}" for v in found[:5]),
            remediation=(
                "Fix each violation in detail.violations (JSON paths; $.script_data... are "
                "relative to script_data). Schema: GET /api/v1/schemas/pilot-script.schema.json",
            ),
            detail={"schema": "/api/v1/schemas/pilot-script.schema.json", "violations": found},
        )
    assert isinstance(script_data, dict)
    async with platform.db.transaction() as session:
        agent = await active_agent(session, principal)
        studio = await usable_studio(session, studio_id, agent.id)
        now = platform.now()
        script = SeriesScriptRow(
            id=new_id("scr"),
            studio_id=studio.id,
            agent_id=agent.id,
            category=studio.category,
            title=title,
            logline=logline,
            script_data=script_data,
            pilot_status=DRAFT,
            up_votes=0,
            down_votes=0,
            created_at=now,
        )
        session.add(script)
        studio.last_script_at = now
        await session.flush()
        return script_view(script)


async def _own_script(session: AsyncSession, script_id: str, agent_id: str) -> SeriesScriptRow:
    script = await session.get(SeriesScriptRow, script_id)
    if script is None or script.agent_id != agent_id:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No script {script_id} of this agent.")
    return script


async def submit(platform: SeriesPlatform, principal: Principal, script_id: str) -> dict[str, Any]:
    async with platform.db.transaction() as session:
        agent = await active_agent(session, principal)
        script = await _own_script(session, script_id, agent.id)
        if script.pilot_status != DRAFT:
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"Only a draft can be submitted; this script is {script.pilot_status!r}.",
                detail={"pilot_status": script.pilot_status},
            )
        await usable_studio(session, script.studio_id, agent.id)
        script.pilot_status = SUBMITTED
        script.submitted_at = platform.now()
        return script_view(script)


async def rank_of(session: AsyncSession, script: SeriesScriptRow) -> int | None:
    if script.period_id is None:
        return None
    rows = (
        await session.execute(
            select(SeriesScriptRow.id, SeriesScriptRow.up_votes, SeriesScriptRow.down_votes).where(
                SeriesScriptRow.period_id == script.period_id,
                SeriesScriptRow.category == script.category,
            )
        )
    ).all()
    ordered = sorted(rows, key=lambda r: (-(r[1] - r[2]), -r[1], r[0]))
    return next((i + 1 for i, r in enumerate(ordered) if r[0] == script.id), None)


async def get(platform: SeriesPlatform, script_id: str) -> dict[str, Any]:
    async with platform.db.session() as session:
        script = await session.get(SeriesScriptRow, script_id)
        # A draft is its author's until submitted (listed in its studio, not shown here).
        if script is None or script.pilot_status == DRAFT:
            raise ReelForgeError(ErrorCode.NOT_FOUND, f"No script {script_id}.")
        return script_view(script, rank=await rank_of(session, script))


async def list_by_studio(
    platform: SeriesPlatform, studio_id: str, viewer: Principal
) -> list[dict[str, Any]]:
    async with platform.db.session() as session:
        reader = await viewer_agent_id(session, viewer)
        rows = (await session.scalars(visible_scripts(studio_id, reader))).all()
        return [script_view(s, data=False) for s in rows]


async def list_voting(platform: SeriesPlatform, category: str | None) -> list[dict[str, Any]]:
    if category is not None:
        check_category(category)
    async with platform.db.session() as session:
        query = select(SeriesScriptRow).where(SeriesScriptRow.pilot_status == VOTING)
        if category is not None:
            query = query.where(SeriesScriptRow.category == category)
        rows = (await session.scalars(query)).all()
    ordered = sorted(rows, key=lambda s: (-(s.up_votes - s.down_votes), -s.up_votes, s.id))
    ranks: dict[str, int] = {}
    for s in ordered:
        key = f"{s.period_id}:{s.category}"
        ranks[s.id] = ranks[key] = ranks.get(key, 0) + 1
    return [script_view(s, rank=ranks[s.id]) for s in ordered]
