"""Loading provider plugins: third-party ones from the ``reelforge.providers`` entry-point
group, then ReelForge's own built-in providers, which are ordinary plugins too."""

from __future__ import annotations

import importlib
import os

import pluggy

from reelforge.providers.base import Provider
from reelforge.providers.hookspecs import ProviderHooks

ENTRY_POINT_GROUP = "reelforge.providers"

# Built-in provider modules; each defines a ``register_providers`` hookimpl.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "reelforge.providers.grok",
    "reelforge.providers.kling",
    "reelforge.providers.runway",
    "reelforge.providers.atlas",
    "reelforge.providers.fal",
    "reelforge.providers.replicate",
    "reelforge.providers.runware",
    "reelforge.providers.sync",
    "reelforge.providers.together",
    "reelforge.providers.pollinations",
    "reelforge.providers.huggingface",
    "reelforge.providers.comfyui",
    "reelforge.providers.luma",
    "reelforge.providers.higgsfield",
    "reelforge.providers.minimax",
    "reelforge.providers.local",
)


class ProviderRegistry:
    """Provider classes by name."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Provider]] = {}

    def register(self, cls: type[Provider]) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Provider)):
            raise TypeError(f"{cls!r} is not a Provider subclass")
        if cls.name in self._classes and self._classes[cls.name] is not cls:
            raise ValueError(f"provider {cls.name!r} is registered twice")
        self._classes[cls.name] = cls

    def get(self, name: str) -> type[Provider] | None:
        return self._classes.get(name)

    def names(self) -> list[str]:
        return sorted(self._classes)

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._classes.values())


def plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("reelforge")
    pm.add_hookspecs(ProviderHooks)
    if load_entry_points and not os.environ.get("REELFORGE_NO_PLUGINS"):
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for module_name in DEFAULT_PLUGINS:
        if not pm.has_plugin(module_name):
            pm.register(importlib.import_module(module_name), name=module_name)
    return pm


def load_registry(pm: pluggy.PluginManager | None = None) -> ProviderRegistry:
    registry = ProviderRegistry()
    (pm or plugin_manager()).hook.register_providers(register=registry.register)
    return registry
