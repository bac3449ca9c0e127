"""Loading asset modes: third-party ones from the ``reelforge.asset_modes`` entry-point
group, then the built-in five, which are ordinary plugins too (as providers are:
``reelforge.providers.plugins``). A mode module implements
``register_asset_modes(register)`` and calls ``register(contract)``."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from functools import lru_cache

import pluggy

from reelforge.apps.assets.contract import ModeContract
from reelforge.domain.errors import ErrorCode, ReelForgeError

ENTRY_POINT_GROUP = "reelforge.asset_modes"
hookspec = pluggy.HookspecMarker("reelforge_assets")
hookimpl = pluggy.HookimplMarker("reelforge_assets")

DEFAULT_MODES: tuple[str, ...] = (
    "reelforge.apps.assets.modes.pixel",
    "reelforge.apps.assets.modes.business",
    "reelforge.apps.assets.modes.uiux",
    "reelforge.apps.assets.modes.vector",
    "reelforge.apps.assets.modes.emoji",
)


class ModeHooks:
    @hookspec
    def register_asset_modes(self, register: Callable[[ModeContract], None]) -> None:
        """Register asset modes by calling ``register(contract)``."""


class ModeRegistry:
    def __init__(self) -> None:
        self._modes: dict[str, ModeContract] = {}

    def register(self, contract: ModeContract) -> None:
        if not isinstance(contract, ModeContract):
            raise TypeError(f"{contract!r} is not a ModeContract")
        if contract.id in self._modes and self._modes[contract.id] is not contract:
            raise ValueError(f"asset mode {contract.id!r} is registered twice")
        self._modes[contract.id] = contract

    def get(self, mode_id: str) -> ModeContract:
        found = self._modes.get(mode_id)
        if found is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"There is no asset mode {mode_id!r}.",
                remediation=(f"Use one of: {', '.join(self.ids())}.",),
                detail={"mode": mode_id, "modes": self.ids()},
            )
        return found

    def ids(self) -> list[str]:
        return list(self._modes)

    def all(self) -> list[ModeContract]:
        return list(self._modes.values())


def plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("reelforge_assets")
    pm.add_hookspecs(ModeHooks)
    if load_entry_points and not os.environ.get("REELFORGE_NO_PLUGINS"):
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for name in DEFAULT_MODES:
        if not pm.has_plugin(name):
            pm.register(importlib.import_module(name), name=name)
    return pm


def load_modes(pm: pluggy.PluginManager | None = None) -> ModeRegistry:
    registry = ModeRegistry()
    (pm or plugin_manager()).hook.register_asset_modes(register=registry.register)
    # Built-ins are registered last by pluggy's LIFO order; keep the seed's order.
    order = {m: i for i, m in enumerate(("pixel", "business", "uiux", "vector", "emoji"))}
    registry._modes = dict(
        sorted(registry._modes.items(), key=lambda kv: order.get(kv[0], len(order)))
    )
    return registry


@lru_cache(maxsize=1)
def default_modes() -> ModeRegistry:
    return load_modes()
