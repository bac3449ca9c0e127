"""Emulator of Sync Labs' lip-sync API (api.sync.so/v2)."""

from reelforge.emulators.sync.app import SANDBOX_CREDENTIAL, create_app, render_error

__all__ = ["SANDBOX_CREDENTIAL", "create_app", "render_error"]
