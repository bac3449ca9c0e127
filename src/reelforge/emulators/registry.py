"""Every emulator, by provider name: how to build its app and the sandbox credential it
accepts. The composition root uses this for sandbox mode; `reelforge emulate` serves them.

Each emulator package exposes ``create_app(config: EmulatorConfig) -> Starlette`` and a
``SANDBOX_CREDENTIAL`` dict (our credential field names → values its key check accepts).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from starlette.applications import Starlette

from reelforge.emulators.base import EmulatorConfig

# provider name → module path of its emulator package
EMULATOR_MODULES: dict[str, str] = {
    "grok": "reelforge.emulators.grok",
    "kling": "reelforge.emulators.kling",
    "runway": "reelforge.emulators.runway",
    "atlas": "reelforge.emulators.atlas",
    "fal": "reelforge.emulators.fal",
    "replicate": "reelforge.emulators.replicate",
    "runware": "reelforge.emulators.runware",
    "sync": "reelforge.emulators.sync",
    "together": "reelforge.emulators.together",
    "pollinations": "reelforge.emulators.pollinations",
    "huggingface": "reelforge.emulators.huggingface",
    "comfyui": "reelforge.emulators.comfyui",
    "luma": "reelforge.emulators.luma",
    "higgsfield": "reelforge.emulators.higgsfield",
    "minimax": "reelforge.emulators.minimax",
}


@dataclass(frozen=True)
class EmulatorSpec:
    name: str
    create_app: Callable[[EmulatorConfig], Starlette]
    sandbox_credential: dict[str, str]


def load(name: str) -> EmulatorSpec:
    module = importlib.import_module(EMULATOR_MODULES[name])
    return EmulatorSpec(name, module.create_app, dict(module.SANDBOX_CREDENTIAL))


def names() -> list[str]:
    return sorted(EMULATOR_MODULES)
