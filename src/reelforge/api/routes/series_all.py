"""Every router of the series platform (seed 003), for api/products.py."""

from __future__ import annotations

from fastapi import APIRouter

from reelforge.api.routes import series, series_console, series_media, series_pay

ROUTERS: list[APIRouter] = [
    series.router,
    series_pay.router,
    series_media.router,
    series_console.router,
]
