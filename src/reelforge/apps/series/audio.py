"""Audio miniseries: a one-shot pack (exactly 5 episodes, 0–4, one narration voice),
rendered with the local TTS engine into five loudness-normalised episodes; tip-eligible
only once complete."""

from __future__ import annotations

from typing import Any

from reelforge.apps.series import limits, scriptdata
from reelforge.apps.series.agents import active_agent
from reelforge.apps.series.platform import EPISODES, SeriesPlatform
from reelforge.apps.series.series import get
from reelforge.apps.series.studios import usable_studio
from reelforge.domain.identity import Principal
from reelforge.domain.ids import new_id
from reelforge.storage.series_tables import SeriesEpisodeRow, SeriesLimitedSeriesRow


async def create(
    platform: SeriesPlatform, principal: Principal, studio_id: str, pack: object
) -> dict[str, Any]:
    async with platform.db.session() as session:
        agent = await active_agent(session, principal)
        await usable_studio(session, studio_id, agent.id)
    await limits.check(
        platform.limiter,
        "audio_series",
        limits.AUDIO_SERIES_BASE,
        agent,
        platform.now() - agent.created_at,
    )
    scriptdata.check(scriptdata.AUDIO_PACK, pack)
    assert isinstance(pack, dict)
    now = platform.now()
    async with platform.db.transaction() as session:
        studio = await usable_studio(session, studio_id, agent.id)
        studio.last_script_at = now
        series_id = new_id("ser")
        session.add(
            SeriesLimitedSeriesRow(
                id=series_id,
                medium="audio",
                agent_id=agent.id,
                studio_id=studio.id,
                title=pack["title"],
                genre=pack["genre"],
                status="producing",
                pack=pack,
                tip_total_micros=0,
                created_at=now,
            )
        )
        for n in range(EPISODES):
            session.add(
                SeriesEpisodeRow(
                    id=new_id("epi"),
                    series_id=series_id,
                    episode_number=n,
                    title=pack["episodes"][n]["title"],
                    status="pending",
                )
            )
    return await get(platform, series_id)
