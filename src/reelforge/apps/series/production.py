"""Production of a winning script, as a ReelForge run the platform pays for (its owner's
keys; free in sandbox): a poster from ``poster_spec`` (FLUX-class t2i), TTS narration of
the arc (local Piper), and 4 clip variants (Luma-class t2v) from the compiled opening
shot, each a different take (seed). Status, derived from the run's steps in this order:
``queued → generating_poster → generating_tts → generating_clips → voting`` (then
``complete`` when human clip voting closes), or ``failed`` with the run's error.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from reelforge.apps.series import scriptdata
from reelforge.apps.series.platform import CLIP_VARIANTS, SeriesPlatform, cents
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.engine.pipeline import Pipeline
from reelforge.storage import identity
from reelforge.storage.series_tables import (
    SeriesClipVariantRow,
    SeriesLimitedSeriesRow,
    SeriesProductionRow,
    SeriesScriptRow,
)

POSTER_MODEL = "fal/flux-dev"
TTS_MODEL = "local/tts"
CLIP_MODEL = "luma/dream_5s"
GENERATING = ("generating_poster", "generating_tts", "generating_clips")
TERMINAL_RUN = {"succeeded", "failed", "canceled"}


def media_url(platform: SeriesPlatform, artifact_id: str | None) -> str | None:
    if artifact_id is None:
        return None
    return f"{platform.config.public_base_url}/api/v1/media/{artifact_id}"


def poster_prompt(script: dict[str, Any]) -> str:
    spec = script["poster_spec"]
    parts = [f"Movie poster for '{script['title']}': {spec['key_visual']}"]
    for key in ("style", "mood", "tagline"):
        if spec.get(key):
            parts.append(f"{key}: {spec[key]}")
    if spec.get("color_palette"):
        parts.append("palette: " + ", ".join(spec["color_palette"]))
    return ". ".join(parts)


def clip_prompt(script: dict[str, Any]) -> str:
    style = script["series_bible"]["global_style_bible"]
    return f"{scriptdata.compile_shot(script['shots'][0])} Style: {style}"


async def platform_owner(platform: SeriesPlatform) -> str:
    async with platform.db.session() as session:
        owner = await identity.find_owner(session)
    if owner is None:
        raise ReelForgeError(ErrorCode.INTERNAL_ERROR, "The server has no owner to pay runs.")
    return owner.id


async def start_run(platform: SeriesPlatform, document: dict[str, Any]) -> str:
    owner = await platform_owner(platform)
    created = await platform.runs.create_run(owner, Pipeline.model_validate(document))
    await platform.runner.enqueue_created(created)
    return str(created.run_id)


async def start_queued(platform: SeriesPlatform, now: datetime) -> int:
    async with platform.db.transaction() as session:
        queued = (
            await session.scalars(
                select(SeriesProductionRow).where(
                    SeriesProductionRow.status == "queued", SeriesProductionRow.run_id.is_(None)
                )
            )
        ).all()
        # Claimed here (the run id is written below): one process starts each production.
        work = []
        for prod in queued:
            script = await session.get(SeriesScriptRow, prod.script_id)
            assert script is not None
            prod.run_id = "starting"
            work.append((prod.id, script.script_data))
    for prod_id, data in work:
        prompt = clip_prompt(data)
        nodes: list[dict[str, Any]] = [
            {
                "id": "poster",
                "model": POSTER_MODEL,
                "prompt": poster_prompt(data),
                "seed": 1,
                "params": {"image_size": "portrait_4_3"},  # a poster stands upright
            },
            {"id": "tts", "model": TTS_MODEL, "prompt": scriptdata.narration_text(data)},
        ]
        nodes += [
            {"id": f"clip{i}", "model": CLIP_MODEL, "prompt": prompt, "seed": 101 + i}
            for i in range(CLIP_VARIANTS)
        ]
        try:
            run_id = await start_run(
                platform, {"name": f"series production {prod_id}", "nodes": nodes}
            )
            status, error = "generating_poster", None
        except ReelForgeError as exc:
            run_id, status, error = None, "failed", exc.to_dict()
        async with platform.db.transaction() as session:
            row = await session.get(SeriesProductionRow, prod_id)
            assert row is not None
            row.run_id, row.status, row.error, row.updated_at = run_id, status, error, now
            for i in range(CLIP_VARIANTS):
                session.add(
                    SeriesClipVariantRow(
                        id=new_id("clp"),
                        production_id=prod_id,
                        position=i,
                        prompt=prompt,
                        vote_count=0,
                        tip_total_micros=0,
                    )
                )
    return len(work)


def _derived(steps: dict[str, Any]) -> str:
    for status, nodes in (
        ("generating_poster", ["poster"]),
        ("generating_tts", ["tts"]),
        ("generating_clips", [f"clip{i}" for i in range(CLIP_VARIANTS)]),
    ):
        if any(steps[n].status != "succeeded" for n in nodes):
            return status
    return "voting"


async def advance(platform: SeriesPlatform, now: datetime) -> int:
    """Follow the runs of productions being generated; a finished one opens clip voting."""
    async with platform.db.session() as session:
        busy = (
            await session.scalars(
                select(SeriesProductionRow).where(SeriesProductionRow.status.in_(GENERATING))
            )
        ).all()
    owner = await platform_owner(platform) if busy else ""
    moved = 0
    for prod in busy:
        run, step_rows = await platform.runs.get_run(prod.run_id, owner)
        steps = {s.node_id: s for s in step_rows}
        status = "failed" if run.status in ("failed", "canceled") else _derived(steps)
        async with platform.db.transaction() as session:
            row = await session.get(SeriesProductionRow, prod.id)
            assert row is not None
            if row.status not in GENERATING:
                continue
            if steps["poster"].outputs:
                row.poster_artifact_id = steps["poster"].outputs[0]
            if steps["tts"].outputs:
                row.tts_artifact_id = steps["tts"].outputs[0]
            variants = (
                await session.scalars(
                    select(SeriesClipVariantRow).where(
                        SeriesClipVariantRow.production_id == prod.id
                    )
                )
            ).all()
            for v in variants:
                outs = steps[f"clip{v.position}"].outputs
                if outs:
                    v.artifact_id = outs[0]
            if status != row.status:
                moved += 1
            row.status, row.updated_at = status, now
            row.cost_micros = int(run.cost_micros or 0)
            if status == "failed":
                row.error = run.error
            if status == "voting":
                row.voting_ends_at = now + timedelta(hours=platform.config.clip_voting_hours)
                await _open_series(session, row, now)
    return moved


async def _open_series(session: Any, prod: SeriesProductionRow, now: datetime) -> None:
    script = await session.get(SeriesScriptRow, prod.script_id)
    script.pilot_status = "produced"
    session.add(
        SeriesLimitedSeriesRow(
            id=new_id("ser"),
            medium="video",
            agent_id=script.agent_id,
            studio_id=script.studio_id,
            script_id=script.id,
            production_id=prod.id,
            title=script.title,
            genre=script.category,
            status="pilot_voting",
            tip_total_micros=0,
            created_at=now,
        )
    )


async def status_of(platform: SeriesPlatform, script_id: str) -> dict[str, Any]:
    async with platform.db.session() as session:
        prod = await session.scalar(
            select(SeriesProductionRow).where(SeriesProductionRow.script_id == script_id)
        )
        if prod is None:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"Script {script_id} has no production (only winning scripts are produced).",
            )
        variants = (
            await session.scalars(
                select(SeriesClipVariantRow)
                .where(SeriesClipVariantRow.production_id == prod.id)
                .order_by(SeriesClipVariantRow.position)
            )
        ).all()
        series_id = await session.scalar(
            select(SeriesLimitedSeriesRow.id).where(SeriesLimitedSeriesRow.production_id == prod.id)
        )
    return {
        "id": prod.id,
        "script_id": script_id,
        "status": prod.status,
        "poster_url": media_url(platform, prod.poster_artifact_id),
        "tts_url": media_url(platform, prod.tts_artifact_id),
        "clip_variants": [media_url(platform, v.artifact_id) for v in variants if v.artifact_id],
        "variants": [
            {
                "variant_id": v.id,
                "position": v.position,
                "url": media_url(platform, v.artifact_id),
                "prompt": v.prompt,
                "vote_count": v.vote_count,
                "tip_total_cents": cents(v.tip_total_micros),
            }
            for v in variants
        ],
        "limited_series_id": series_id,
        "run_id": prod.run_id,
        "platform_cost_micros": prod.cost_micros,
        "voting_ends_at": prod.voting_ends_at.isoformat() if prod.voting_ends_at else None,
        "error": prod.error,
    }
