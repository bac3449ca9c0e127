"""Plugin hooks (pluggy). A plugin module implements ``register_providers(register)`` and
calls ``register(ProviderClass)`` for each provider it adds, as simonw/llm's plugins do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("reelforge")
hookimpl = pluggy.HookimplMarker("reelforge")


class ProviderHooks:
    @hookspec
    def register_providers(self, register: Callable[[type[Any]], None]) -> None:
        """Register provider adapter classes by calling ``register(cls)``."""
