"""Emulator of fal.ai's queue API (queue.fal.run): submit, status, result, cancel."""

from reelforge.emulators.fal.app import SANDBOX_CREDENTIAL, create_app, render_error

__all__ = ["SANDBOX_CREDENTIAL", "create_app", "render_error"]
