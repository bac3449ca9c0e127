"""Emulator of Luma AI's Dream Machine API (see emulators/luma/app.py)."""

from reelforge.emulators.luma.app import SANDBOX_CREDENTIAL, SANDBOX_KEY, create_app

__all__ = ["SANDBOX_CREDENTIAL", "SANDBOX_KEY", "create_app"]
