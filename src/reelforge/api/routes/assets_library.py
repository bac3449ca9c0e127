"""The asset studio's workspaces, per-mode galleries, exports and imports, HD credits and
top-up packs (seed 004)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import Field

from reelforge.api.deps import ContainerDep
from reelforge.api.routes.assets_deps import (
    AssetCaller,
    ModePath,
    SignedInCaller,
    assets_pipeline,
    mode_ids,
)
from reelforge.api.schemas import RequestModel, one_of
from reelforge.apps.assets import exports, gallery, hd_credits, payments, workspaces
from reelforge.apps.assets.exports import export_jobs
from reelforge.apps.assets.modes.registry import default_modes
from reelforge.domain.errors import ErrorCode, ReelForgeError

router = APIRouter(prefix="/v1/assets", tags=["assets"])


class WorkspaceIn(RequestModel):
    mode: str = Field(json_schema_extra=one_of(mode_ids))
    name: str = Field(min_length=1, max_length=200)


class WorkspacePatch(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    mode: str | None = Field(
        default=None,
        description="Refused if it differs: modes are fixed.",
        json_schema_extra=one_of(mode_ids, nullable=True),
    )


@router.post("/workspaces", status_code=201)
async def create_workspace(
    body: WorkspaceIn, container: ContainerDep, caller: SignedInCaller
) -> dict[str, Any]:
    """A workspace typed to one mode (at most the plan's max_workspaces)."""
    row = await workspaces.create_workspace(
        container.db, assets_pipeline(container).modes, caller.user_id, body.mode, body.name
    )
    return workspaces.workspace_view(row)


@router.get("/workspaces")
async def list_workspaces(
    container: ContainerDep, caller: SignedInCaller, mode: str | None = None
) -> dict[str, Any]:
    rows = await workspaces.list_workspaces(container.db, caller.user_id, mode)
    return {"workspaces": [workspaces.workspace_view(r) for r in rows]}


@router.patch("/workspaces/{workspace_id}")
async def patch_workspace(
    workspace_id: str, body: WorkspacePatch, container: ContainerDep, caller: SignedInCaller
) -> dict[str, Any]:
    row = await workspaces.rename_workspace(
        container.db, caller.user_id, workspace_id, body.name, body.mode
    )
    return workspaces.workspace_view(row)


@router.get("/{mode}/gallery")
async def mode_gallery(
    mode: ModePath,
    container: ContainerDep,
    caller: AssetCaller,
    scope: str = Query(default="public", pattern="^(public|mine)$"),
    workspace_id: str | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    """One mode's gallery: public entries (opted in), or your own (``scope=mine``)."""
    if scope == "mine" and caller.is_guest:
        raise ReelForgeError(ErrorCode.AUTH_FAILED, "Sign in to see your own gallery.")
    rows = await gallery.list_gallery(
        container.db,
        assets_pipeline(container).modes,
        mode,
        owner_id=caller.user_id,
        public=scope == "public",
        workspace_id=workspace_id,
        before=before,
    )
    return {"mode": mode, "entries": [gallery.entry_view(r) for r in rows]}


class PublishIn(RequestModel):
    public: bool


@router.patch("/gallery/{entry_id}")
async def publish(
    entry_id: str, body: PublishIn, container: ContainerDep, caller: SignedInCaller
) -> dict[str, Any]:
    """Opt an entry in to (or out of) its mode's public gallery."""
    return gallery.entry_view(
        await gallery.set_public(container.db, caller.user_id, entry_id, body.public)
    )


@router.get(
    "/gallery/{entry_id}/content",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def entry_content(entry_id: str, container: ContainerDep, caller: AssetCaller) -> Response:
    """A gallery entry's image: public ones for anyone, private ones for their owner (guests
    share one user, so a guest sees only public entries here)."""
    viewer = None if caller.is_guest else caller.user_id
    row = await gallery.visible_entry(container.db, viewer, entry_id)
    art = await container.artifacts.get(row.artifact_id, owner_id=row.owner_id)
    data = await container.artifacts.read_bytes(art)
    return Response(
        data,
        media_type=art.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )


class ImportIn(RequestModel):
    workspace_id: str


@router.post("/gallery/{entry_id}/import", status_code=201)
async def import_entry(
    entry_id: str, body: ImportIn, container: ContainerDep, caller: SignedInCaller
) -> dict[str, Any]:
    """The explicit way an asset crosses modes: a copy in the target workspace's mode."""
    return gallery.entry_view(
        await gallery.import_into(container.db, caller.user_id, entry_id, body.workspace_id)
    )


def _export_formats() -> list[str]:
    """Every mode's formats; which of them a mode has is in GET /v1/assets/modes/{mode}."""
    return sorted({f for m in default_modes().all() for f in m.exporters})


class ExportIn(RequestModel):
    format: str = Field(
        description="The mode's export format, e.g. sprite_sheet, svg (see the mode's contract).",
        json_schema_extra=one_of(_export_formats),
    )
    job_ids: list[str] = Field(min_length=1, max_length=256)
    options: dict[str, Any] = Field(default_factory=dict)


@router.post("/{mode}/export", status_code=201)
async def export(
    mode: ModePath, body: ExportIn, container: ContainerDep, caller: SignedInCaller
) -> dict[str, Any]:
    """Run the mode's exporter over your jobs of that mode; the files are artifacts."""
    return await export_jobs(
        container,
        assets_pipeline(container).modes,
        caller.user_id,
        mode,
        body.format,
        body.job_ids,
        body.options,
    )


# Generated files are never rendered on our origin as documents (an SVG could carry
# script): attachment, no sniffing, and a CSP that allows nothing to run.
_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Cache-Control": "private, max-age=3600",
}


@router.get(
    "/exports/files/{file_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def export_file(file_id: str, container: ContainerDep, caller: SignedInCaller) -> Response:
    """One exported file (sheet.png, atlas.json, asset_0.svg, emoji_64.webp, …)."""
    row, data = await exports.export_file(container, caller.user_id, file_id)
    return Response(
        data,
        media_type=row.content_type,
        headers={**_FILE_HEADERS, "Content-Disposition": f'attachment; filename="{row.name}"'},
    )


@router.get(
    "/exports/{export_id}.zip",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
async def export_zip(export_id: str, container: ContainerDep, caller: SignedInCaller) -> Response:
    """Every file of one export in a ZIP."""
    name, data = await exports.export_zip(container, caller.user_id, export_id)
    return Response(
        data,
        media_type="application/zip",
        headers={**_FILE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/credits")
async def credits(container: ContainerDep, caller: SignedInCaller) -> dict[str, Any]:
    """HD credits left (the plan's monthly allocation, then top-ups) and the plan's limits."""
    async with container.db.transaction() as session:
        bal = await hd_credits.balance(session, caller.user_id)
    return {**bal.view(), "packs": [p.view() for p in payments.PACKS.values()]}


class TopupIn(RequestModel):
    pack: str = Field(json_schema_extra=one_of(payments.PACKS))


def _payments(container: ContainerDep) -> payments.PaymentProvider:
    provider: payments.PaymentProvider | None = container.extras.get("assets_payments")
    if provider is None:
        provider = payments.SandboxPayments()
        container.extras["assets_payments"] = provider
    return provider


@router.post("/topups", status_code=201)
async def buy_topup(
    body: TopupIn, container: ContainerDep, caller: SignedInCaller
) -> dict[str, Any]:
    """Start buying a top-up pack: a checkout with the payment provider."""
    return await payments.start_purchase(
        container.db, _payments(container), caller.user_id, body.pack
    )


@router.post("/topups/{payment_id}/complete")
async def complete_topup(
    payment_id: str, container: ContainerDep, caller: SignedInCaller
) -> dict[str, Any]:
    """Sandbox payments only: settle the checkout as the provider's webhook would."""
    provider = _payments(container)
    if provider.name != "sandbox":
        raise ReelForgeError(ErrorCode.FORBIDDEN, "Only sandbox payments are settled by hand.")
    mine = await payments.own_payment(container.db, caller.user_id, payment_id)
    row = await payments.settle_payment(container.db, mine.provider, mine.external_id)
    return payments.payment_view(row)
