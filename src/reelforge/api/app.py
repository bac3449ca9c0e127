"""The FastAPI app factory. Routers are added here, one line per area."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from starlette.routing import Route

from reelforge import __version__
from reelforge.api.body_limit import BodyLimitMiddleware
from reelforge.api.errors import install_error_handlers
from reelforge.api.mcp.http import PATH as MCP_PATH
from reelforge.api.mcp.http import McpDoor
from reelforge.api.middleware import RequestContextMiddleware
from reelforge.api.openai import PREFIX as OPENAI_PREFIX
from reelforge.api.openai import UPLOAD_PATHS, create_openai_app
from reelforge.api.openapi_doc import install_openapi
from reelforge.api.products import product_routers
from reelforge.api.products import router as apps_router
from reelforge.api.query import refuse_unknown_query
from reelforge.api.routes import (
    analytics,
    artifacts,
    budgets,
    callbacks,
    characters,
    credits,
    generations,
    health,
    me,
    model_prices,
    models,
    pipelines,
    presets,
    provenance,
    providers,
    run_history,
    runs,
    setup,
    sources,
    users,
    web_session,
)
from reelforge.api.web.static import StudioBundle, bundle_folder
from reelforge.container import Container

# The busiest first: requests are matched against routes in this order (no two routers
# share a path prefix, so the order changes nothing else).
ROUTERS: list[APIRouter] = [
    generations.router,
    runs.router,
    artifacts.router,
    provenance.router,
    callbacks.router,
    budgets.router,  # before models: /v1/models/price-drift
    model_prices.router,  # before models: its /v1/models/{id:path} would match these
    models.router,
    health.router,
    apps_router,  # GET /v1/apps: the products switched on
    me.router,
    providers.router,
    credits.router,
    users.router,
    setup.router,
    characters.router,
    run_history.router,
    analytics.router,
    presets.router,
    sources.router,
    web_session.router,
    pipelines.router,
]


def create_app(
    container: Container,
    *,
    extra_routers: list[APIRouter] | None = None,
    on_shutdown: Callable[[], object] | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await mcp_door.aclose()  # the /mcp session manager (started by its first request)
        if on_shutdown is not None:
            result = on_shutdown()
            if hasattr(result, "__await__"):
                await result

    app = FastAPI(
        title="ReelForge",
        version=__version__,
        description="One API over every image, video and audio generation provider.",
        lifespan=lifespan,
        dependencies=[Depends(refuse_unknown_query)],
    )
    app.state.container = container
    install_error_handlers(app)
    install_openapi(app)
    products = product_routers(container.settings.enabled_apps)
    for router in [*ROUTERS, *products, *(extra_routers or [])]:
        app.include_router(router)
    # Doors for existing clients (DESIGN.md): the OpenAI SDK's shapes and MCP.
    app.mount(OPENAI_PREFIX, create_openai_app(container))
    mcp_door = McpDoor(container, lambda: app)
    app.router.routes.append(Route(MCP_PATH, mcp_door, methods=["GET", "POST", "DELETE"]))
    # The studio's bundle answers what no route matched (api/web/static.py).
    folder = bundle_folder(container.settings.web_dist)
    app.router.default = StudioBundle(folder, app.router.not_found)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=container.settings.max_body_bytes,
        upload_max_bytes=container.settings.upload_max_bytes,
        # The OpenAI door's multipart calls carry media, as /v1/uploads does.
        upload_paths=("/v1/uploads", *(f"{OPENAI_PREFIX}{p}" for p in UPLOAD_PATHS)),
    )
    app.add_middleware(RequestContextMiddleware, foreground=container.foreground)
    return app
