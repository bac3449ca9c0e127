"""The products on the core (DESIGN.md, "Products on the core"): each one adds its routers
here, and REELFORGE_APPS switches it on or off without touching anything else.

``GET /v1/apps`` says which are on: the web studio lists (and routes to) only those."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from fastapi import APIRouter

from reelforge.api.deps import ContainerDep
from reelforge.api.schemas import ResponseModel
from reelforge.settings import KNOWN_APPS

# product name → a function giving its routers (imported lazily, so a product that is
# switched off costs nothing at start). Each product adds one line, and its name to
# settings.KNOWN_APPS (REELFORGE_APPS refuses any other name).
PRODUCTS: dict[str, Callable[[], list[APIRouter]]] = {
    "series": lambda: __import__("reelforge.api.routes.series_all", fromlist=["ROUTERS"]).ROUTERS,
    "market": lambda: import_module("reelforge.api.routes.market").routers(),
    "assets": lambda: import_module("reelforge.api.routes.assets").routers(),
}

router = APIRouter(prefix="/v1", tags=["products"])


class AppsOut(ResponseModel):
    # The products switched on (REELFORGE_APPS), in settings.KNOWN_APPS order.
    apps: list[str]


@router.get("/apps", response_model=AppsOut)
async def enabled_apps(container: ContainerDep) -> AppsOut:
    """The products this server has switched on (public: their routes say as much)."""
    enabled = container.settings.enabled_apps
    return AppsOut(apps=[name for name in KNOWN_APPS if name in enabled])


def product_routers(enabled: set[str]) -> list[APIRouter]:
    routers: list[APIRouter] = []
    for name, load in PRODUCTS.items():
        if name in enabled:
            routers.extend(load())
    return routers
