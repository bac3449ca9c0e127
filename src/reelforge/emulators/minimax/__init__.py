"""Emulator of MiniMax's video generation API (see emulators/minimax/app.py)."""

from reelforge.emulators.minimax.app import SANDBOX_CREDENTIAL, SANDBOX_KEY, create_app

__all__ = ["SANDBOX_CREDENTIAL", "SANDBOX_KEY", "create_app"]
