"""Emulator of Replicate's predictions API (api.replicate.com/v1)."""

from reelforge.emulators.replicate.app import SANDBOX_CREDENTIAL, create_app, render_error

__all__ = ["SANDBOX_CREDENTIAL", "create_app", "render_error"]
