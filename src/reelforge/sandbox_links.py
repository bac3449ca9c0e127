"""Signed input links in sandbox mode, served in-process.

A provider that fetches its inputs itself (Luma; Kling's lip-sync video) gets a signed,
expiring link to our artifact (engine.media_io.signed_link). In sandbox mode, with no
public base URL, that link points at ``SANDBOX_FILES_URL``, which the emulators reach
through this app over an in-process transport: the emulator fetches a URL as the real
provider would, and never sees inline data it would refuse.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelforge.domain.errors import ReelForgeError
from reelforge.engine.media_io import verify_artifact_link
from reelforge.storage.artifacts import ArtifactStore


def signed_files_app(artifacts: ArtifactStore, secret: str) -> Starlette:
    async def content(request: Request) -> Response:
        artifact_id = request.path_params["artifact_id"]
        try:
            expires = int(request.query_params.get("expires", ""))
        except ValueError:
            return Response("a signed link needs expires and sig", status_code=403)
        if not verify_artifact_link(
            secret, artifact_id, expires, request.query_params.get("sig", "")
        ):
            return Response("the link is invalid or has expired", status_code=403)
        try:
            row = await artifacts.get(artifact_id)
        except ReelForgeError:
            return Response("not found", status_code=404)
        return Response(await artifacts.read_bytes(row), media_type=row.content_type)

    return Starlette(routes=[Route("/v1/artifacts/{artifact_id}/content", content)])
