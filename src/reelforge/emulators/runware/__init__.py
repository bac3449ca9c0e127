"""Emulator of Runware's REST API (api.runware.ai/v1): task arrays, sync and async delivery."""

from reelforge.emulators.runware.app import SANDBOX_CREDENTIAL, create_app, render_error

__all__ = ["SANDBOX_CREDENTIAL", "create_app", "render_error"]
