"""Where an artifact came from: its lineage graph and its content credentials (C2PA)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from reelforge.api.deps import ContainerDep, CurrentPrincipal
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.lineage import Lineage

router = APIRouter(tags=["artifacts"])


def lineage(container: ContainerDep) -> Lineage:
    service = container.extras.get("lineage")
    if service is None:
        service = container.extras["lineage"] = Lineage(container.artifacts)
    return service


@router.get("/v1/artifacts/{artifact_id}/provenance")
async def artifact_provenance(
    artifact_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The lineage graph (artifacts back to uploads and first generations, with the runs,
    steps, models, parameters with secrets redacted, and costs that made them) and the
    artifact's C2PA manifest as it validates now (``manifest.state``: Trusted, Valid,
    Invalid, or null for a file without one)."""
    return await lineage(container).graph(artifact_id, principal.user_id)


@router.get("/v1/artifacts/{artifact_id}/manifest.c2pa", response_class=Response)
async def artifact_sidecar(
    artifact_id: str, container: ContainerDep, principal: CurrentPrincipal
) -> Response:
    """The sidecar C2PA manifest store of an artifact whose format cannot embed one."""
    row = await container.artifacts.get(artifact_id, owner_id=principal.user_id)
    if not row.manifest_sha256:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND,
            "This artifact has no sidecar manifest.",
            detail={"artifact_id": artifact_id, "content_credentials": row.credentials},
            remediation=("Its manifest, if it has one, is embedded: GET its content.",),
        )
    data = b"".join([c async for c in container.blobs.open(row.manifest_sha256)])
    return Response(
        data,
        media_type="application/c2pa",
        headers={"Content-Disposition": f'attachment; filename="{row.id}.c2pa"'},
    )
