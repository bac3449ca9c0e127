"""Model sources (seed 001 §4.4, §6.5, §7.3, §9.2): ``/v1/sources``.

- ``GET /v1/sources`` curated entries and the caller's own (``?type=`` or ``?kind=``,
  ``?recommended=``); ``GET /v1/sources/{id}`` one, with what is on disk;
- ``POST /v1/sources`` adds a ``custom-`` entry (the seed's AddCustomModelRequest, plus
  the acknowledgments); ``DELETE /v1/sources/{id}`` removes one of the caller's own;
- ``POST /v1/sources/{id}/download`` starts (or joins) the download: 202 with the job;
  ``GET /v1/sources/{id}/download`` polls it; ``GET /v1/sources/{id}/download/events``
  streams its progress as Server-Sent Events (``download.progress`` then one of
  ``download.succeeded|failed|canceled``);
- ``GET /v1/sources/installed`` the model files on disk, with the source each came from.

Downloads write into the installation's shared models folder, so starting one needs the
owner or admin role; everyone may list, read, add and remove their own entries.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import ConfigDict, Field

from reelforge.api.deps import AdminPrincipal, ContainerDep, CurrentPrincipal
from reelforge.api.schemas import HTTP_URL_PATTERN, RequestModel
from reelforge.domain.sources import (
    ALLOWED_EXTENSIONS,
    SHA256_PATTERN,
    CustomLicense,
    ModelSource,
    SourceType,
)

router = APIRouter(prefix="/v1/sources", tags=["sources"])


# A plain file name with a model extension: no path, no leading dot, no second suffix (an
# executable's), not a Windows device name.
_DEVICE = "|".join(
    "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in name)
    for name in ("con", "prn", "aux", "nul", "com[0-9]", "lpt[0-9]")
)
FILENAME_SCHEMA: dict[str, Any] = {
    "pattern": rf"^(?!({_DEVICE})\.)[A-Za-z0-9][A-Za-z0-9_ -]{{0,150}}"
    rf"\.({'|'.join(e.lstrip('.') for e in ALLOWED_EXTENSIONS)})$"
}


class AddCustomModelRequest(RequestModel):
    """The seed's contract (§6.5) as written, with the optional facts a curated entry has
    and the two acknowledgments (§4.4 "I understand the risks")."""

    # What the handler asks besides the fields: an Unknown license acknowledged, a file
    # without a sha256 acknowledged (LICENSE_UNKNOWN, CHECKSUM_MISSING otherwise).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "if": {
                        "required": ["license"],
                        "properties": {"license": {"const": "Unknown"}},
                    },
                    "then": {
                        "required": ["acknowledge_unknown_license"],
                        "properties": {"acknowledge_unknown_license": {"const": True}},
                    },
                },
                {
                    "if": {"required": ["sha256"], "properties": {"sha256": {"type": "string"}}},
                    "else": {
                        "required": ["acknowledge_missing_checksum"],
                        "properties": {"acknowledge_missing_checksum": {"const": True}},
                    },
                },
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    type: SourceType
    # The schema states the syntax the handler checks (domain.sources.url_problem,
    # filename_problem); the pattern Pydantic checks stays the loose one, so a URL that
    # does not parse is still answered UNSAFE_URL.
    url: str = Field(
        pattern=r"^https?://", max_length=2000, json_schema_extra={"pattern": HTTP_URL_PATTERN}
    )
    filename: str = Field(min_length=1, max_length=200, json_schema_extra=FILENAME_SCHEMA)
    license: CustomLicense
    sha256: str | None = Field(default=None, pattern=SHA256_PATTERN)
    tags: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=20)
    notes: str | None = Field(default=None, max_length=1000)
    size_bytes: int | None = Field(default=None, gt=0)
    recommended_use: str = Field(default="", max_length=500)
    hardware_notes: str = Field(default="", max_length=500)
    acknowledge_unknown_license: bool = Field(
        default=False, description="Required (true) when license is Unknown."
    )
    acknowledge_missing_checksum: bool = Field(
        default=False,
        description="Required (true) when sha256 is not given: download at your risk.",
    )


class DownloadRequest(RequestModel):
    acknowledge_missing_checksum: bool = Field(
        default=False,
        description="Required (true) for an entry without sha256 (an Example): unverified.",
    )


def source_view(source: ModelSource, state: dict[str, Any] | None = None) -> dict[str, Any]:
    view = source.model_dump(mode="json")
    view.update(folder=source.folder, example=source.example)
    if state is not None:
        view["installed"] = state
    return view


@router.get("")
async def list_sources(
    container: ContainerDep,
    principal: CurrentPrincipal,
    type: SourceType | None = None,
    kind: Annotated[SourceType | None, Query(description="The same as type.")] = None,
    recommended: bool | None = None,
) -> dict[str, Any]:
    found = await container.sources.list_sources(
        principal.user_id, type=type or kind, recommended=recommended
    )
    return {
        "count": len(found),
        "models_dir": str(container.sources.models_dir),
        "sources": [source_view(s, container.sources.state(s)) for s in found],
    }


@router.get("/installed")
async def installed_files(container: ContainerDep, principal: CurrentPrincipal) -> dict[str, Any]:
    files = await container.sources.installed(principal.user_id)
    return {"models_dir": str(container.sources.models_dir), "count": len(files), "files": files}


@router.post("", status_code=201)
async def add_source(
    body: AddCustomModelRequest, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    # The download checks every address at connect time; refuse what is plainly unsafe now.
    container.fetcher.check_url_offline(body.url)
    fields = body.model_dump(
        exclude={"acknowledge_unknown_license", "acknowledge_missing_checksum"}
    )
    source = await container.sources.add(
        principal.user_id,
        fields,
        ack_license=body.acknowledge_unknown_license,
        ack_checksum=body.acknowledge_missing_checksum,
    )
    return source_view(source, container.sources.state(source))


@router.get("/{source_id}")
async def get_source(
    source_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    source = await container.sources.get(principal.user_id, source_id)
    return source_view(source, container.sources.state(source))


@router.delete("/{source_id}", status_code=204)
async def delete_source(
    source_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> None:
    await container.sources.delete(principal.user_id, source_id)


@router.post("/{source_id}/download", status_code=202)
async def start_download(
    source_id: str,
    container: ContainerDep,
    principal: AdminPrincipal,
    body: DownloadRequest | None = None,
) -> dict[str, Any]:
    """Start the download (or join the one running); poll GET .../download or follow
    GET .../download/events."""
    job = await container.sources.start_download(
        principal.user_id,
        source_id,
        ack_checksum=body.acknowledge_missing_checksum if body else False,
    )
    return job.view()


@router.get("/{source_id}/download")
async def download_status(
    source_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    source = await container.sources.get(principal.user_id, source_id)
    return container.sources.job(source).view()


@router.get("/{source_id}/download/events")
async def download_events(
    source_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> StreamingResponse:
    """Server-Sent Events of the download: its view now, then at most five times a second
    while it runs, ending with its final event."""
    source = await container.sources.get(principal.user_id, source_id)
    job = container.sources.job(source)
    downloads = container.sources.downloads

    async def stream() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        async for view in downloads.watch(job):
            status = view["status"]
            event = "download.progress" if status == "running" else f"download.{status}"
            yield f"event: {event}\ndata: {json.dumps(view)}\n\n".encode()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
