"""Limited series: when human clip voting closes, the winning clip's script becomes a pilot
and 4 episodes, each a ReelForge run (a clip per shot, narration, then local ffmpeg:
concat, audio mix with loudness normalisation) → one episode video. Series status
``pilot_voting → producing → complete``."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from reelforge.apps.series import scriptdata
from reelforge.apps.series.platform import EPISODES, SeriesPlatform, cents
from reelforge.apps.series.production import (
    CLIP_MODEL,
    TERMINAL_RUN,
    TTS_MODEL,
    media_url,
    platform_owner,
    start_run,
)
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.storage.series_tables import (
    SeriesClipVariantRow,
    SeriesEpisodeRow,
    SeriesLimitedSeriesRow,
    SeriesProductionRow,
    SeriesScriptRow,
)

EPISODE_NAMES = ("Pilot", "Episode 1", "Episode 2", "Episode 3", "Finale")


def _winner(variants: list[SeriesClipVariantRow]) -> SeriesClipVariantRow | None:
    if not variants:
        return None
    # Most votes; ties: the most tipped, then the earliest variant.
    return sorted(variants, key=lambda v: (-v.vote_count, -v.tip_total_micros, v.position))[0]


async def _variants(session: Any, production_id: str) -> list[SeriesClipVariantRow]:
    return list(
        (
            await session.scalars(
                select(SeriesClipVariantRow)
                .where(SeriesClipVariantRow.production_id == production_id)
                .order_by(SeriesClipVariantRow.position)
            )
        ).all()
    )


async def clip_votes(platform: SeriesPlatform, series_id: str) -> list[dict[str, Any]]:
    async with platform.db.session() as session:
        row = await session.get(SeriesLimitedSeriesRow, series_id)
        if row is None or row.production_id is None:
            raise ReelForgeError(ErrorCode.NOT_FOUND, f"No video series {series_id}.")
        variants = await _variants(session, row.production_id)
    winner = row.winning_clip_variant_id
    return [
        {
            "variant_id": v.id,
            "position": v.position,
            "url": media_url(platform, v.artifact_id),
            "vote_count": v.vote_count,
            "tip_total_cents": cents(v.tip_total_micros),
            "is_winner": v.id == winner,
        }
        for v in variants
    ]


def episode_script(data: dict[str, Any], number: int) -> tuple[list[str], str]:
    """Shot prompts and narration of episode ``number`` (0 is the pilot as written; later
    episodes carry the series bible forward with the arc beat they continue)."""
    shots = copy.deepcopy(data["shots"])
    style = data["series_bible"]["global_style_bible"]
    keep = "; ".join(data["series_bible"].get("do_not_change", []))
    arc = data["arc"]
    if number == 0:
        narration = scriptdata.narration_text(data)
    else:
        beat = arc[("beat_1", "beat_2", "beat_3", "beat_3")[number - 1]]
        for shot in shots:
            shot["prompt"]["scene"] = f"{EPISODE_NAMES[number]}: {shot['prompt']['scene']}"
        narration = f"{EPISODE_NAMES[number]} of {data['title']}. {beat}"
    prompts = [
        f"{scriptdata.compile_shot(s)} Style: {style}." + (f" Keep: {keep}." if keep else "")
        for s in shots
    ]
    return prompts, narration


def episode_pipeline(prompts: list[str], narration: str, seed: int) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {"id": f"shot{i}", "model": CLIP_MODEL, "prompt": p, "seed": seed + i}
        for i, p in enumerate(prompts)
    ]
    nodes += [
        {"id": "narration", "model": TTS_MODEL, "prompt": narration},
        {"id": "cut", "model": "local/concat"},
        {"id": "episode", "model": "local/mux-audio", "params": {"mode": "mix", "normalize": True}},
    ]
    edges = [{"from": f"shot{i}", "to": "cut"} for i in range(len(prompts))]
    edges += [{"from": "cut", "to": "episode.video"}, {"from": "narration", "to": "episode.audio"}]
    return {"name": "series episode", "nodes": nodes, "edges": edges}


async def close_clip_voting(platform: SeriesPlatform, now: datetime) -> list[str]:
    """Productions whose clip voting is over: complete, winner chosen, series producing."""
    async with platform.db.session() as session:
        due = (
            await session.scalars(
                select(SeriesProductionRow.id).where(
                    SeriesProductionRow.status == "voting",
                    SeriesProductionRow.voting_ends_at <= now,
                )
            )
        ).all()
    opened = []
    for prod_id in due:
        async with platform.db.transaction() as session:
            took = await session.execute(
                update(SeriesProductionRow)
                .where(SeriesProductionRow.id == prod_id, SeriesProductionRow.status == "voting")
                .values(status="complete", updated_at=now)
            )
            if not getattr(took, "rowcount", 0):
                continue
            winner = _winner(await _variants(session, prod_id))
            row = await session.scalar(
                select(SeriesLimitedSeriesRow).where(
                    SeriesLimitedSeriesRow.production_id == prod_id
                )
            )
            assert row is not None
            row.winning_clip_variant_id = winner.id if winner else None
            row.status = "producing"
            for n in range(EPISODES):
                session.add(
                    SeriesEpisodeRow(
                        id=new_id("epi"),
                        series_id=row.id,
                        episode_number=n,
                        title=EPISODE_NAMES[n],
                        status="pending",
                    )
                )
            opened.append(row.id)
    return opened


async def start_episodes(platform: SeriesPlatform, now: datetime) -> int:
    async with platform.db.transaction() as session:
        pending = (
            await session.scalars(
                select(SeriesEpisodeRow).where(SeriesEpisodeRow.status == "pending")
            )
        ).all()
        work = []
        for ep in pending:
            row = await session.get(SeriesLimitedSeriesRow, ep.series_id)
            assert row is not None
            ep.status = "producing"  # claimed in this transaction
            work.append((ep.id, ep.episode_number, row))
        scripts = {}
        for _ep, _n, row in work:
            if row.medium == "video" and row.script_id not in scripts:
                script = await session.get(SeriesScriptRow, row.script_id)
                assert script is not None
                scripts[row.script_id] = script.script_data
    for ep_id, number, row in work:
        if row.medium == "video":
            prompts, narration = episode_script(scripts[row.script_id], number)
            document = episode_pipeline(prompts, narration, seed=1000 * (number + 1))
        else:
            document = audio_pipeline(row.pack or {}, number)
        try:
            run_id, error = await start_run(platform, document), None
        except ReelForgeError as exc:
            run_id, error = None, exc.to_dict()
        async with platform.db.transaction() as session:
            episode = await session.get(SeriesEpisodeRow, ep_id)
            assert episode is not None
            episode.run_id = run_id
            if error is not None:
                episode.status, episode.error = "failed", error
    return len(work)


def audio_pipeline(pack: dict[str, Any], number: int) -> dict[str, Any]:
    episode = pack["episodes"][number]
    text = episode["narration_script"]
    if episode.get("recap"):
        text = f"{episode['recap']} {text}"
    params: dict[str, Any] = {}
    if pack.get("narration_voice_id"):
        params["voice"] = pack["narration_voice_id"]
    return {
        "name": "audio episode",
        "nodes": [
            {"id": "narration", "model": TTS_MODEL, "prompt": text, "params": params},
            {"id": "episode", "model": "local/loudnorm"},
        ],
        "edges": [{"from": "narration", "to": "episode"}],
    }


async def advance_episodes(platform: SeriesPlatform, now: datetime) -> int:
    async with platform.db.session() as session:
        busy = (
            await session.scalars(
                select(SeriesEpisodeRow).where(
                    SeriesEpisodeRow.status == "producing", SeriesEpisodeRow.run_id.is_not(None)
                )
            )
        ).all()
    if not busy:
        return 0
    owner = await platform_owner(platform)
    finished = 0
    for ep in busy:
        run, steps = await platform.runs.get_run(ep.run_id, owner)
        if run.status not in TERMINAL_RUN:
            continue
        final = next((s for s in steps if s.node_id == "episode"), None)
        artifact = final.outputs[0] if final is not None and final.outputs else None
        duration = await _duration(platform, artifact) if artifact else None
        async with platform.db.transaction() as session:
            row = await session.get(SeriesEpisodeRow, ep.id)
            assert row is not None
            if run.status == "succeeded" and artifact:
                row.status, row.artifact_id, row.duration_seconds = "complete", artifact, duration
            else:
                row.status, row.error = "failed", run.error
            await session.flush()
            await _maybe_complete(session, row.series_id, now)
        finished += 1
    return finished


async def _duration(platform: SeriesPlatform, artifact_id: str) -> float | None:
    import asyncio

    from reelforge.media.probe import probe

    row = await platform.artifacts.get(artifact_id)
    path = await platform.artifacts.local_path(row)
    info = await asyncio.to_thread(probe, path)
    return info.duration


async def _maybe_complete(session: Any, series_id: str, now: datetime) -> None:
    eps = (
        await session.scalars(
            select(SeriesEpisodeRow).where(SeriesEpisodeRow.series_id == series_id)
        )
    ).all()
    if len(eps) == EPISODES and all(e.status == "complete" for e in eps):
        row = await session.get(SeriesLimitedSeriesRow, series_id)
        row.status, row.completed_at = "complete", now


def series_view(
    platform: SeriesPlatform,
    row: SeriesLimitedSeriesRow,
    episodes: list[SeriesEpisodeRow],
    poster: str | None,
    winning: str | None,
) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "genre": row.genre,
        "medium": row.medium,
        "creator_agent_id": row.agent_id,
        "studio_id": row.studio_id,
        "script_id": row.script_id,
        "poster_url": media_url(platform, poster),
        "winning_clip_url": media_url(platform, winning),
        "winning_clip_variant_id": row.winning_clip_variant_id,
        "status": row.status,
        "episodes": [
            {
                "id": e.id,
                "episode_number": e.episode_number,
                "title": e.title,
                "status": e.status,
                "video_url" if row.medium == "video" else "audio_url": media_url(
                    platform, e.artifact_id
                ),
                "duration_seconds": e.duration_seconds,
            }
            for e in sorted(episodes, key=lambda e: e.episode_number)
        ],
        "revenue": {"tip_total_cents": cents(row.tip_total_micros)},
        "created_at": row.created_at.isoformat(),
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
    }


async def _views(
    platform: SeriesPlatform, rows: list[SeriesLimitedSeriesRow]
) -> list[dict[str, Any]]:
    out = []
    async with platform.db.session() as session:
        for row in rows:
            eps = list(
                (
                    await session.scalars(
                        select(SeriesEpisodeRow).where(SeriesEpisodeRow.series_id == row.id)
                    )
                ).all()
            )
            poster = winning = None
            if row.production_id:
                prod = await session.get(SeriesProductionRow, row.production_id)
                poster = prod.poster_artifact_id if prod else None
                variants = await _variants(session, row.production_id)
                tips = sum(v.tip_total_micros for v in variants)
                row.tip_total_micros = tips
                win = next((v for v in variants if v.id == row.winning_clip_variant_id), None)
                winning = win.artifact_id if win else None
            out.append(series_view(platform, row, eps, poster, winning))
    return out


async def get(platform: SeriesPlatform, series_id: str) -> dict[str, Any]:
    async with platform.db.session() as session:
        row = await session.get(SeriesLimitedSeriesRow, series_id)
    if row is None:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No series {series_id}.")
    return (await _views(platform, [row]))[0]


async def listing(
    platform: SeriesPlatform,
    *,
    agent_id: str | None = None,
    category: str | None = None,
    medium: str = "all",
) -> list[dict[str, Any]]:
    if medium not in ("audio", "video", "all"):
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "medium must be audio, video or all.",
            detail={"invalid_fields": [{"field": "medium", "problem": "unknown"}]},
        )
    query = select(SeriesLimitedSeriesRow).order_by(SeriesLimitedSeriesRow.created_at.desc())
    if agent_id:
        query = query.where(SeriesLimitedSeriesRow.agent_id == agent_id)
    if category:
        query = query.where(SeriesLimitedSeriesRow.genre == category)
    if medium != "all":
        query = query.where(SeriesLimitedSeriesRow.medium == medium)
    async with platform.db.session() as session:
        rows = list((await session.scalars(query.limit(200))).all())
    return await _views(platform, rows)
