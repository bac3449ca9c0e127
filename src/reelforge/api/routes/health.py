"""Liveness/readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from reelforge import __version__
from reelforge.api.deps import ContainerDep
from reelforge.domain.errors import ErrorCode, ReelForgeError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(container: ContainerDep) -> dict[str, Any]:
    try:
        async with container.db.session() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        raise ReelForgeError(
            ErrorCode.ENGINE_OFFLINE,
            "The database is not reachable.",
            detail={"component": "database"},
        ) from exc
    return {
        "status": "ok",
        "version": __version__,
        "sandbox": container.settings.sandbox,
        "runner": container.settings.runner.value,
    }


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
