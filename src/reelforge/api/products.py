"""The products on the core (DESIGN.md, "Products on the core"): each one adds its routers
here, and REELFORGE_APPS switches it on or off without touching anything else."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from fastapi import APIRouter

# product name → a function giving its routers (imported lazily, so a product that is
# switched off costs nothing at start). Each product adds one line.
PRODUCTS: dict[str, Callable[[], list[APIRouter]]] = {
    "series": lambda: __import__("reelforge.api.routes.series_all", fromlist=["ROUTERS"]).ROUTERS,
    "market": lambda: import_module("reelforge.api.routes.market").routers(),
    "assets": lambda: import_module("reelforge.api.routes.assets").routers(),
}


def product_routers(enabled: set[str]) -> list[APIRouter]:
    routers: list[APIRouter] = []
    for name, load in PRODUCTS.items():
        if name in enabled:
            routers.extend(load())
    return routers
