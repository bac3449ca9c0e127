"""Uploads and artifacts: media in (checked by content, not by name) and out (with ranges)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from reelforge.api.deps import ContainerDep, CurrentPrincipal, get_principal
from reelforge.api.history_deps import gallery, thumbnails
from reelforge.api.paging import id_cursor
from reelforge.api.param_guard import INT64_MAX
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.media import EXTENSIONS, sniff_content_type
from reelforge.engine.gallery import ArtifactFilters
from reelforge.engine.media_io import verify_artifact_link
from reelforge.engine.thumbnails import has_thumbnail
from reelforge.media.integrity import check_whole
from reelforge.storage.artifact_tables import ArtifactRow

router = APIRouter(tags=["artifacts"])

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def artifact_view(row: ArtifactRow) -> dict[str, Any]:
    """What a client may know of an artifact: never where the server keeps its bytes."""
    return {
        "id": row.id,
        "sha256": row.sha256,
        "size": row.size,
        "content_type": row.content_type,
        "media_type": row.kind,
        "name": row.name,
        "sandbox": row.sandbox,
        "provenance": row.provenance,
        "created_at": row.created_at,
        "url": f"/v1/artifacts/{row.id}/content",
        "thumbnail_url": f"/v1/artifacts/{row.id}/thumbnail" if has_thumbnail(row) else None,
        "content_sha256": row.content_sha256 or row.sha256,
        "content_credentials": credentials_view(row),
        "provenance_url": f"/v1/artifacts/{row.id}/provenance",
    }


_CREDENTIALS_NOTE = {
    "embedded": "A signed C2PA manifest is embedded in the file.",
    "sidecar": "This format cannot carry an embedded manifest: the signed C2PA manifest is "
    "kept beside it, at manifest_url.",
    "failed": "Signing failed; the file is stored unsigned.",
}


def credentials_view(row: ArtifactRow) -> dict[str, Any]:
    """How the artifact's content credentials are kept (None: stored unsigned, as uploads
    and runs that opted out are)."""
    status = row.credentials
    return {
        "status": status or "none",
        "note": _CREDENTIALS_NOTE.get(status or "", "Stored without content credentials."),
        "manifest_url": f"/v1/artifacts/{row.id}/manifest.c2pa" if row.manifest_sha256 else None,
    }


@router.post("/v1/uploads", status_code=201)
async def upload(
    file: UploadFile, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Upload an image, video or audio file (multipart field ``file``). The type is read
    from the bytes, and the file must decode whole (a truncated or damaged file is refused
    with UNSUPPORTED_MEDIA); the size limit is the setting ``upload_max_bytes``."""
    limit = container.settings.upload_max_bytes
    async with container.artifacts.writer() as writer:
        while chunk := await file.read(1024 * 1024):
            writer.write(chunk)
            if writer.size > limit:
                raise ReelForgeError(
                    ErrorCode.PAYLOAD_TOO_LARGE,
                    "The upload is larger than allowed.",
                    detail={"limit_bytes": limit},
                )
        if writer.size == 0:
            raise ReelForgeError(ErrorCode.UNSUPPORTED_MEDIA, "The upload is empty.")
        head = writer.head
        content_type = sniff_content_type(head)
        if content_type is None:
            raise ReelForgeError(
                ErrorCode.UNSUPPORTED_MEDIA,
                "The file is not an image, video or audio format ReelForge knows.",
                detail={"filename": file.filename, "declared_type": file.content_type},
            )
        # Decoded before anything is stored: a damaged file leaves no blob and no row.
        await asyncio.to_thread(
            check_whole, file.file, writer.size, content_type, name=file.filename or ""
        )
        blob = await writer.commit()
    async with container.db.write() as tx:
        row = await container.artifacts.record(
            tx,
            owner_id=principal.user_id,
            blob=blob,
            head=head,
            name=file.filename or "",
            provenance={"source": "upload"},
        )
    return artifact_view(row)


@router.get("/v1/artifacts")
async def list_artifacts(
    container: ContainerDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[str | None, id_cursor("Older than this artifact id.")] = None,
    kind: Annotated[Literal["image", "video", "audio"] | None, Query()] = None,
    model: Annotated[str | None, Query(max_length=200, description="A catalog id.")] = None,
    run_id: Annotated[str | None, Query(max_length=40)] = None,
    created_after: Annotated[datetime | None, Query(description="ISO 8601; UTC if naive.")] = None,
    created_before: Annotated[datetime | None, Query(description="ISO 8601, exclusive.")] = None,
) -> dict[str, Any]:
    """Your artifacts (the gallery), newest first; images and videos carry a
    ``thumbnail_url`` (a small WebP preview, made on first request and kept)."""
    filters = ArtifactFilters(
        kind=kind,
        model=model,
        run_id=run_id,
        created_after=created_after,
        created_before=created_before,
    )
    rows = await gallery(container).list(principal.user_id, filters, limit=limit, before=before)
    items = [artifact_view(r) for r in rows]
    return {"artifacts": items, "next_before": items[-1]["id"] if len(items) == limit else None}


@router.get("/v1/artifacts/{artifact_id}/thumbnail", response_class=Response)
async def artifact_thumbnail(
    artifact_id: str,
    container: ContainerDep,
    principal: CurrentPrincipal,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    """The artifact's preview image (WebP, at most ``thumbnail_max_side`` pixels). It never
    changes (its source never does), so it may be cached for good; a revalidation with
    ``If-None-Match`` is answered 304."""
    row = await container.artifacts.get(artifact_id, owner_id=principal.user_id)
    thumb = await thumbnails(container).get_or_make(row)
    headers = {
        "ETag": f'"{thumb.sha256}"',
        "Cache-Control": "private, max-age=31536000, immutable",
        "X-Thumbnail-Size": f"{thumb.width}x{thumb.height}",
    }
    if if_none_match and headers["ETag"] in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    data = b"".join([chunk async for chunk in container.blobs.open(thumb.sha256)])
    return Response(data, media_type=thumb.content_type, headers=headers)


@router.get("/v1/artifacts/{artifact_id}")
async def get_artifact(
    artifact_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The artifact's metadata and provenance; its bytes are at ``url``."""
    row = await container.artifacts.get(artifact_id, owner_id=principal.user_id)
    return artifact_view(row)


@router.get("/v1/artifacts/{artifact_id}/content")
async def artifact_content(
    artifact_id: str,
    request: Request,
    container: ContainerDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    expires: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
    sig: Annotated[str | None, Query()] = None,
) -> StreamingResponse:
    """The bytes, with HTTP range requests (video players seek). Reachable with an API key,
    or with a signed link (``expires`` + ``sig``) that ReelForge hands to providers."""
    if sig is not None and expires is not None:
        if not verify_artifact_link(container.engine.media.link_secret, artifact_id, expires, sig):
            raise ReelForgeError(ErrorCode.FORBIDDEN, "The link is invalid or has expired.")
        row = await container.artifacts.get(artifact_id)
    else:
        principal = await get_principal(request, container)
        row = await container.artifacts.get(artifact_id, owner_id=principal.user_id)
    size = row.size
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{row.sha256}"',
        "Cache-Control": "private, max-age=31536000, immutable",
        # A download gets a name with a real extension (inline: players still play it).
        "Content-Disposition": f'inline; filename="{row.id}{EXTENSIONS.get(row.content_type, "")}"',
    }
    start, end, status = 0, size - 1, 200
    if range_header:
        match = _RANGE.match(range_header.strip())
        if not match or (not match.group(1) and not match.group(2)):
            raise _unsatisfiable(size)
        if match.group(1):
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else size - 1
        else:  # suffix range: the last N bytes
            start = max(0, size - int(match.group(2)))
        end = min(end, size - 1)
        if start > end or start >= size:
            raise _unsatisfiable(size)
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)

    async def body() -> AsyncIterator[bytes]:
        async for chunk in container.artifacts.open(row, start, end):
            yield chunk

    return StreamingResponse(
        body(), status_code=status, media_type=row.content_type, headers=headers
    )


def _unsatisfiable(size: int) -> HTTPException:
    return HTTPException(
        416, "The requested range is not satisfiable.", headers={"Content-Range": f"bytes */{size}"}
    )
