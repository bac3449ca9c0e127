"""Runway emulator: the developer API's generation endpoints, tasks and organization.

Paths, camelCase fields, UPPERCASE task statuses, ``estimatedCost``/``cost`` credits, the
required ``X-Runway-Version: 2024-11-06`` header and the error bodies follow
shared/reference/providers-video.md §3 and the runwayml SDK (5.24), which can drive it.
"""

from __future__ import annotations

from starlette.applications import Starlette

from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.runway.app import SANDBOX_KEY, build_app

SANDBOX_CREDENTIAL: dict[str, str] = {"api_key": SANDBOX_KEY}


def create_app(config: EmulatorConfig) -> Starlette:
    return build_app(config)


__all__ = ["SANDBOX_CREDENTIAL", "create_app"]
