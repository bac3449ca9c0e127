"""ComfyUI provider: a user's own server driven by workflow templates (see adapter.py)."""

from reelforge.providers.comfyui.adapter import ComfyUIProvider
from reelforge.providers.hookspecs import hookimpl

__all__ = ["ComfyUIProvider"]


@hookimpl
def register_providers(register):  # type: ignore[no-untyped-def]
    register(ComfyUIProvider)
