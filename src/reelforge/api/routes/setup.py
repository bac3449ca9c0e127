"""The setup hub (seed 001 §4): connect providers, the healthcheck matrix, local engines,
the diagnostics export. Connecting, engine control, engine logs and diagnostics need the
owner or admin role; the matrix is for everyone (it shows the caller's own keys)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import Field

from reelforge.api.deps import AdminPrincipal, ContainerDep, CurrentPrincipal
from reelforge.api.routes.setup_schemas import (
    ConnectOut,
    DisconnectOut,
    EngineLogsOut,
    EngineOut,
    HealthMatrixOut,
)
from reelforge.api.schemas import RequestModel
from reelforge.container import Container
from reelforge.engine.setup import SetupConfig, SetupHub
from reelforge.engine.setup.config import shown_url
from reelforge.settings import Settings

router = APIRouter(prefix="/v1/setup", tags=["setup"])

WaitOpt = Annotated[
    bool, Query(description="Answer once the engine answers (or exits), up to wait_seconds.")
]
WaitSecondsOpt = Annotated[float, Query(gt=0, le=600)]


class ConnectIn(RequestModel):
    values: dict[str, str] = Field(
        description="Credential fields by name (see `credential_fields` in GET /v1/providers)."
    )


def setup_config(settings: Settings) -> SetupConfig:
    shown: dict[str, Any] = {
        "home": str(settings.home),
        "sandbox": settings.sandbox,
        "runner": settings.runner.value,
        "database": shown_url(settings.resolved_database_url),
        "artifact_store": shown_url(settings.resolved_artifact_store_url),
        "broker": shown_url(settings.broker_url) if settings.runner.value == "dramatiq" else None,
        "host": settings.host,
        "port": settings.port,
        "public_base_url": shown_url(settings.public_base_url),
        "provider_base_urls": {k: shown_url(v) for k, v in settings.provider_base_urls.items()},
        "comfyui_dir": str(settings.comfyui_dir) if settings.comfyui_dir else None,
        "comfyui_port": settings.comfyui_port,
        "log_level": settings.log_level,
        "setup_check_timeout_seconds": settings.setup_check_timeout_seconds,
    }
    return SetupConfig(
        home=settings.home,
        database_url=settings.resolved_database_url,
        artifact_store_url=settings.resolved_artifact_store_url,
        runner=settings.runner.value,
        broker_url=settings.broker_url,
        sandbox=settings.sandbox,
        check_timeout=settings.setup_check_timeout_seconds,
        comfyui_dir=settings.comfyui_dir,
        comfyui_port=settings.comfyui_port,
        comfyui_python=settings.comfyui_python,
        shown_settings=shown,
    )


def setup_hub(container: Container) -> SetupHub:
    """The container's setup hub, made on first use (a ComfyUI it started stops with it)."""
    hub: SetupHub | None = container.extras.get("setup")
    if hub is None:
        hub = SetupHub(setup_config(container.settings), container.hub, container.db)
        container.extras["setup"] = hub
        container._closers.append(hub.aclose)
    return hub


@router.post("/providers/{name}/connect", response_model=ConnectOut)
async def connect(
    name: str, body: ConnectIn, container: ContainerDep, principal: AdminPrincipal
) -> dict[str, Any]:
    """Check the key with the provider, then store it encrypted: `{ok, balance, message}`.
    A key the provider refuses is AUTH_FAILED and is not stored (a key it would replace
    stays). The next call to the provider uses the new key."""
    return await setup_hub(container).connect(principal.user_id, name, body.values)


@router.delete("/providers/{name}/connect", response_model=DisconnectOut)
async def disconnect(
    name: str, container: ContainerDep, principal: AdminPrincipal
) -> dict[str, Any]:
    """Remove your stored key for the provider (environment variables still apply)."""
    return await setup_hub(container).disconnect(principal.user_id, name)


@router.get("/healthcheck", response_model=HealthMatrixOut)
async def healthcheck(
    container: ContainerDep,
    principal: CurrentPrincipal,
    fresh: Annotated[
        bool, Query(description="false: the last results, without probing again.")
    ] = True,
) -> dict[str, Any]:
    """Every engine, provider, optional tool and system check, probed concurrently; each
    probe has `setup_check_timeout_seconds`, so the answer never takes longer."""
    return await setup_hub(container).healthcheck(principal.user_id, fresh=fresh)


@router.get("/engines/{engine}", response_model=EngineOut)
async def engine_status(
    engine: str, container: ContainerDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """not_installed | installed | starting | running."""
    return await setup_hub(container).engine(engine).status()


@router.post("/engines/{engine}/start", response_model=EngineOut)
async def engine_start(
    engine: str,
    container: ContainerDep,
    principal: AdminPrincipal,
    wait: WaitOpt = False,
    wait_seconds: WaitSecondsOpt = 60.0,
) -> dict[str, Any]:
    return await setup_hub(container).engine(engine).start(wait=wait, wait_seconds=wait_seconds)


@router.post("/engines/{engine}/stop", response_model=EngineOut)
async def engine_stop(
    engine: str, container: ContainerDep, principal: AdminPrincipal
) -> dict[str, Any]:
    return await setup_hub(container).engine(engine).stop()


@router.post("/engines/{engine}/restart", response_model=EngineOut)
async def engine_restart(
    engine: str,
    container: ContainerDep,
    principal: AdminPrincipal,
    wait: WaitOpt = False,
    wait_seconds: WaitSecondsOpt = 60.0,
) -> dict[str, Any]:
    hub = setup_hub(container)
    return await hub.engine(engine).restart(wait=wait, wait_seconds=wait_seconds)


@router.get("/engines/{engine}/logs", response_model=EngineLogsOut)
async def engine_logs(
    engine: str,
    container: ContainerDep,
    principal: AdminPrincipal,
    lines: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> dict[str, Any]:
    manager = setup_hub(container).engine(engine)
    return {"engine": engine, "path": str(manager.log_path), "lines": manager.logs(lines)}


@router.get("/diagnostics")
async def diagnostics(container: ContainerDep, principal: AdminPrincipal) -> JSONResponse:
    """A JSON download for bug reports: system, engines, providers (no secrets), installed
    models, settings and the last 100 log lines, secrets redacted."""
    document = await setup_hub(container).diagnostics(principal.user_id)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return JSONResponse(
        jsonable_encoder(document),
        headers={
            "Content-Disposition": f'attachment; filename="reelforge-diagnostics-{stamp}.json"'
        },
    )
