"""Running a mode's exporter over its own jobs' images. The files (PNG, WebP, SVG, JSON)
go to the blob store with a row each (``assets_export_files``), so they outlive the
request; they are read back one by one or as one ZIP, by their owner only."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

from sqlalchemy import select

from reelforge.apps.assets.contract import ModeContract
from reelforge.apps.assets.modes.registry import ModeRegistry
from reelforge.apps.assets.tables import BatchRow, ExportFileRow, JobRow
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.storage.tables import utcnow

MAX_JOBS = 256
CONTENT_TYPES = {
    "png": "image/png",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "json": "application/json",
}


def content_type_of(name: str) -> str:
    return CONTENT_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def file_view(row: ExportFileRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "content_type": row.content_type,
        "bytes": row.size,
        "url": f"/v1/assets/exports/files/{row.id}",
    }


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
    export_id = new_id("aex")
    made: list[ExportFileRow] = []
    for name, data in files.items():
        blob = await container.artifacts.blobs.put_bytes(data)
        made.append(
            ExportFileRow(
                id=new_id("aef"),
                export_id=export_id,
                owner_id=owner_id,
                mode=mode.id,
                format=fmt,
                name=name,
                content_type=content_type_of(name),
                sha256=blob.sha256,
                size=len(data),
                created_at=utcnow(),
            )
        )
    stored = [file_view(r) for r in made]  # before the commit expires the rows
    async with container.db.transaction() as session:
        session.add_all(made)
    return {
        "mode": mode.id,
        "format": fmt,
        "export_id": export_id,
        "zip_url": f"/v1/assets/exports/{export_id}.zip",
        "files": stored,
    }


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


async def _read(container: Container, row: ExportFileRow) -> bytes:
    return b"".join([chunk async for chunk in container.artifacts.blobs.open(row.sha256)])


async def export_file(
    container: Container, owner_id: str, file_id: str
) -> tuple[ExportFileRow, bytes]:
    async with container.db.session() as session:
        row = await session.get(ExportFileRow, file_id)
    if row is None or row.owner_id != owner_id:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No export file {file_id!r}.")
    return row, await _read(container, row)


async def export_zip(container: Container, owner_id: str, export_id: str) -> tuple[str, bytes]:
    """All the files of one export in a ZIP: (its file name, its bytes)."""
    async with container.db.session() as session:
        rows = list(
            (
                await session.execute(
                    select(ExportFileRow)
                    .where(ExportFileRow.export_id == export_id, ExportFileRow.owner_id == owner_id)
                    .order_by(ExportFileRow.name)
                )
            ).scalars()
        )
    if not rows:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No export {export_id!r}.")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for row in rows:
            # Dated when the file was stored, not now: the same export is the same bytes
            # at every download.
            entry = zipfile.ZipInfo(row.name, date_time=row.created_at.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(entry, await _read(container, row))
    return f"{rows[0].mode}-{rows[0].format}-{export_id}.zip", out.getvalue()
