"""xAI (Grok) emulator: images (synchronous), video (deferred requests), model list.

Same paths, bodies, statuses and error bodies as api.x.ai (shared/reference/
providers-video.md §1): a wrong key is HTTP 400 "Incorrect API key provided", an empty
account is HTTP 429, errors use the flat ``{"code": "<gRPC-style text>", "error": "..."}``.
"""

from __future__ import annotations

from starlette.applications import Starlette

from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.grok.app import SANDBOX_KEY, build_app

SANDBOX_CREDENTIAL: dict[str, str] = {"api_key": SANDBOX_KEY}


def create_app(config: EmulatorConfig) -> Starlette:
    return build_app(config)


__all__ = ["SANDBOX_CREDENTIAL", "create_app"]
