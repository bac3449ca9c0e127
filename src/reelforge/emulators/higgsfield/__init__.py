"""Emulator of the Higgsfield platform API (see emulators/higgsfield/app.py)."""

from reelforge.emulators.higgsfield.app import SANDBOX_CREDENTIAL, SANDBOX_KEY, create_app

__all__ = ["SANDBOX_CREDENTIAL", "SANDBOX_KEY", "create_app"]
