"""Model sources as a user sees them: the curated entries plus their own ``custom-`` ones;
adding (with the acknowledgments the seed requires), removing, where each file lands, what
is installed, and downloads (``downloads.DownloadJobs``).

Files land where a local ComfyUI looks for them: ``<models_dir>/<folder>/<filename>``,
``models_dir`` being ``<REELFORGE_COMFYUI_DIR>/models`` when that is set, else
``<home>/models``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.sources import CUSTOM_PREFIX, FOLDERS, ModelSource, SourceType, slug
from reelforge.engine.sources.downloads import DownloadJob, DownloadJobs
from reelforge.storage.db import Database
from reelforge.storage.fetcher import SafeFetcher
from reelforge.storage.model_download import part_paths
from reelforge.storage.source_tables import ModelSourceRow

ACK_LICENSE = "acknowledge_unknown_license"
ACK_CHECKSUM = "acknowledge_missing_checksum"


def _not_found(source_id: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.NOT_FOUND,
        f"No model source {source_id!r}.",
        detail={"source_id": source_id},
        remediation=("List them with GET /v1/sources or `reelforge sources list`.",),
    )


def _invalid(problems: list[str]) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        "The model source is not allowed: " + "; ".join(problems) + ".",
        detail={"problems": problems},
        remediation=(
            "Use an http(s) URL and a plain file name with a model extension "
            "(.safetensors, .ckpt, .pt, .pth, .bin, .gguf, .onnx).",
        ),
    )


def need_acknowledgment(
    source: ModelSource, *, ack_license: bool, ack_checksum: bool
) -> ReelForgeError | None:
    """LICENSE_UNKNOWN / CHECKSUM_MISSING until the user acknowledged each (§4.4, §7.2)."""
    missing = []
    if source.license.strip().lower() == "unknown" and not ack_license:
        missing.append(ACK_LICENSE)
    if source.sha256 is None and not ack_checksum:
        missing.append(ACK_CHECKSUM)
    if not missing:
        return None
    flags = " and ".join(f"`{name}: true`" for name in missing)
    if missing[0] == ACK_LICENSE:
        return ReelForgeError(
            ErrorCode.LICENSE_UNKNOWN,
            "The model's license is unknown: it needs your explicit acknowledgment.",
            detail={"source_id": source.id, "acknowledgments_needed": missing},
            remediation=(
                "Model has unknown license. Verify license before using.",
                f"To add it anyway, send {flags} (I understand the risks).",
            ),
        )
    return ReelForgeError(
        ErrorCode.CHECKSUM_MISSING,
        "The file has no sha256, so the download cannot be verified: download at your risk.",
        detail={"source_id": source.id, "acknowledgments_needed": missing},
        remediation=(
            "Add the file's SHA-256 (the model page usually shows it).",
            f"Or, to download it unverified, send {flags}.",
        ),
    )


class SourceService:
    def __init__(
        self,
        db: Database,
        fetcher: SafeFetcher,
        curated: list[ModelSource],
        *,
        models_dir: Path,
        max_bytes: int,
    ) -> None:
        self.db = db
        self.curated = {s.id: s for s in curated}
        self.models_dir = models_dir
        self.downloads = DownloadJobs(fetcher, max_bytes=max_bytes)

    # -- entries ----------------------------------------------------------------------

    async def _custom(self, owner_id: str) -> list[ModelSource]:
        async with self.db.session() as session:
            rows = (
                await session.scalars(
                    select(ModelSourceRow)
                    .where(ModelSourceRow.owner_id == owner_id)
                    .order_by(ModelSourceRow.created_at, ModelSourceRow.id)
                )
            ).all()
        return [ModelSource.model_validate(row.entry) for row in rows]

    async def list_sources(
        self,
        owner_id: str,
        *,
        type: SourceType | None = None,
        recommended: bool | None = None,
    ) -> list[ModelSource]:
        found = [*self.curated.values(), *await self._custom(owner_id)]
        if type is not None:
            found = [s for s in found if s.type is type]
        if recommended is not None:
            found = [s for s in found if s.recommended is recommended]
        return found

    async def get(self, owner_id: str, source_id: str) -> ModelSource:
        if (curated := self.curated.get(source_id)) is not None:
            return curated
        if source_id.startswith(CUSTOM_PREFIX):
            async with self.db.session() as session:
                row = await session.get(ModelSourceRow, (owner_id, source_id))
            if row is not None:
                return ModelSource.model_validate(row.entry)
        raise _not_found(source_id)

    async def add(
        self, owner_id: str, fields: dict[str, Any], *, ack_license: bool, ack_checksum: bool
    ) -> ModelSource:
        """A user's entry, id ``custom-<slug of name>``; nothing is stored unless it is
        valid and acknowledged."""
        source_id = CUSTOM_PREFIX + slug(str(fields.get("name", "")))
        try:
            source = ModelSource.model_validate(
                {
                    **fields,
                    "id": source_id,
                    "curated": False,
                    "recommended": False,
                    "acknowledged_unknown_license": ack_license,
                    "acknowledged_missing_checksum": ack_checksum,
                }
            )
        except ValidationError as exc:
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            raise _invalid(problems) from exc
        if problems := source.problems():
            raise _invalid(problems)
        refusal = need_acknowledgment(source, ack_license=ack_license, ack_checksum=ack_checksum)
        if refusal is not None:
            raise refusal
        clash = next(
            (s for s in self.curated.values() if self.destination(s) == self.destination(source)),
            None,
        )
        if clash is not None:
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"The curated source {clash.id!r} already downloads to "
                f"{source.folder}/{source.filename}.",
                detail={"source_id": clash.id},
                remediation=(f"Download {clash.id!r}, or choose another filename.",),
            )
        async with self.db.transaction() as session:
            if await session.get(ModelSourceRow, (owner_id, source_id)) is not None:
                raise ReelForgeError(
                    ErrorCode.CONFLICT,
                    f"You already have a model source {source_id!r}.",
                    detail={"source_id": source_id},
                    remediation=("Give it another name, or delete the old one first.",),
                )
            session.add(
                ModelSourceRow(
                    owner_id=owner_id,
                    id=source_id,
                    type=source.type.value,
                    filename=source.filename,
                    entry=source.model_dump(mode="json"),
                )
            )
        return source

    async def delete(self, owner_id: str, source_id: str) -> None:
        """Forget a user's entry (a downloaded file stays where it is)."""
        if source_id in self.curated:
            raise ReelForgeError(
                ErrorCode.FORBIDDEN,
                f"{source_id!r} is a curated source; only your own (custom-) ones can be removed.",
                detail={"source_id": source_id},
            )
        async with self.db.transaction() as session:
            row = await session.get(ModelSourceRow, (owner_id, source_id))
            if row is None:
                raise _not_found(source_id)
            await session.delete(row)

    # -- files ------------------------------------------------------------------------

    def destination(self, source: ModelSource) -> Path:
        path = self.models_dir / source.folder / source.filename
        # The filename rules already forbid separators; this holds even if they had a gap.
        if path.resolve().parent != (self.models_dir / source.folder).resolve():
            raise _invalid([f"filename {source.filename!r} leaves {source.folder}/"])
        return path

    def state(self, source: ModelSource) -> dict[str, Any]:
        """What is on disk for a source, and its download job when there is one."""
        path = self.destination(source)
        part, _meta = part_paths(path)
        job = self.downloads.job_for(path)
        if job is not None and job.status == "running":
            status = "downloading"
        elif path.exists():
            status = "installed"
        elif part.exists():
            status = "partial"
        else:
            status = "not_installed"
        return {
            "status": status,
            "path": str(path),
            "partial_bytes": part.stat().st_size if part.exists() else 0,
            "job": job.view() if job is not None and job.source_id == source.id else None,
        }

    async def start_download(
        self, owner_id: str, source_id: str, *, ack_checksum: bool = False
    ) -> DownloadJob:
        source = await self.get(owner_id, source_id)
        refusal = need_acknowledgment(
            source,
            ack_license=source.acknowledged_unknown_license,
            ack_checksum=ack_checksum or source.acknowledged_missing_checksum,
        )
        if refusal is not None:
            raise refusal
        return await self.downloads.start(source, self.destination(source))

    def job(self, source: ModelSource) -> DownloadJob:
        job = self.downloads.job_for(self.destination(source))
        if job is None or job.source_id != source.id:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND,
                f"No download of {source.id!r} was started by this server.",
                detail={"source_id": source.id},
                remediation=(f"Start one with POST /v1/sources/{source.id}/download.",),
            )
        return job

    async def installed(self, owner_id: str) -> list[dict[str, Any]]:
        """Every model file under the models folders, with the source it came from."""
        known = {
            (s.folder, s.filename): s.id for s in await self.list_sources(owner_id)
        }  # curated first, a user's own entry wins for the same place
        return await asyncio.to_thread(self._scan, known)

    def _scan(self, known: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
        files = []
        for source_type, folder in FOLDERS.items():
            directory = self.models_dir / folder
            if not directory.is_dir():
                continue
            for path in sorted(directory.iterdir()):
                if path.name.startswith(".") or path.name.endswith((".part", ".part.json")):
                    continue
                if not path.is_file():
                    continue
                files.append(
                    {
                        "type": source_type.value,
                        "folder": folder,
                        "filename": path.name,
                        "path": str(path),
                        "size_bytes": path.stat().st_size,
                        "source_id": known.get((folder, path.name)),
                    }
                )
        return files

    async def aclose(self) -> None:
        await self.downloads.aclose()
