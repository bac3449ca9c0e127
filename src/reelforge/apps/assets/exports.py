"""Running a mode's exporter over its own jobs' images; the files are stored as artifacts
(with the job's artifact as parent) so they outlive the request."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from reelforge.apps.assets.contract import ModeContract
from reelforge.apps.assets.modes.registry import ModeRegistry
from reelforge.apps.assets.tables import BatchRow, JobRow
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError

MAX_JOBS = 256


async def export_jobs(
    container: Container,
    modes: ModeRegistry,
    owner_id: str,
    mode_id: str,
    fmt: str,
    job_ids: list[str],
    options: dict[str, Any],
) -> dict[str, Any]:
    mode = modes.get(mode_id)
    factory = mode.exporters.get(fmt)
    if factory is None:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"The {mode.name} mode exports {', '.join(mode.exporters) or 'no files'}, not {fmt!r}.",
            remediation=("Use one of the mode's export formats (GET /v1/assets/modes).",),
            detail={"mode": mode.id, "format": fmt, "formats": list(mode.exporters)},
        )
    if not 1 <= len(job_ids) <= MAX_JOBS:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Export 1 to {MAX_JOBS} jobs at a time.",
            detail={"jobs": len(job_ids)},
        )
    async with container.db.session() as session:
        rows = {
            r.id: r
            for r in (
                await session.execute(
                    select(JobRow).where(JobRow.id.in_(job_ids), JobRow.owner_id == owner_id)
                )
            ).scalars()
        }
    missing = [j for j in job_ids if j not in rows]
    if missing:
        raise ReelForgeError(ErrorCode.NOT_FOUND, "Unknown job(s).", detail={"job_ids": missing})
    other = sorted({r.mode for r in rows.values()} - {mode.id})
    if other:
        raise ReelForgeError(
            ErrorCode.MODE_MISMATCH,
            f"The {mode.name} exporter only takes {mode.name} jobs (got {', '.join(other)}).",
            remediation=("Import the asset into a workspace of this mode first.",),
            detail={"mode": mode.id, "job_modes": other},
        )
    if "colors" not in options:  # the preset's colour count (vector) or palette (pixel)
        options = {**options, **await _preset_colors(container, mode, rows[job_ids[0]])}
    images = []
    for job_id in job_ids:
        job = rows[job_id]
        if job.artifact_id is None:
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"Job {job_id} has no image yet ({job.status}).",
                detail={"job_id": job_id, "status": job.status},
            )
        art = await container.artifacts.get(job.artifact_id, owner_id=owner_id)
        images.append(await container.artifacts.read_bytes(art))
    exporter = factory()
    files = await asyncio.to_thread(exporter.export, images, options)
    stored = []
    for name, data in files.items():
        row = await container.artifacts.put_bytes(
            data,
            owner_id=owner_id,
            name=f"{mode.id}-{fmt}-{name}",
            provenance={"exporter": f"assets:{mode.id}:{fmt}", "jobs": job_ids, "options": options},
        )
        stored.append(
            {
                "name": name,
                "artifact_id": row.id,
                "bytes": len(data),
                "url": f"/v1/artifacts/{row.id}/content",
            }
        )
    return {"mode": mode.id, "format": fmt, "files": stored}


async def _preset_colors(container: Container, mode: ModeContract, job: JobRow) -> dict[str, int]:
    async with container.db.session() as session:
        batch = await session.get(BatchRow, job.batch_id)
    if batch is None:
        return {}
    try:
        colors = mode.preset(batch.preset).colors
    except ReelForgeError:  # a preset retired since
        return {}
    return {"colors": colors} if colors else {}
