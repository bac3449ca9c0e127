"""Kling AI: text-to-video, image-to-video, images, talking avatar and lip-sync.

Contract: shared/reference/providers-video.md §2. ``auth`` makes the JWT, ``wire`` maps
requests to bodies, ``provider`` is the adapter.
"""

from __future__ import annotations

from typing import Any

from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.kling.auth import KlingTokens, make_token
from reelforge.providers.kling.provider import KlingProvider


@hookimpl
def register_providers(register: Any) -> None:
    register(KlingProvider)


__all__ = ["KlingProvider", "KlingTokens", "make_token", "register_providers"]
