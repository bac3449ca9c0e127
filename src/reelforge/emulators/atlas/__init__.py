"""The Atlas Cloud emulator (see app.py); ``create_app`` and ``SANDBOX_CREDENTIAL`` are what
the emulator registry and sandbox mode use."""

from reelforge.emulators.atlas.app import SANDBOX_CREDENTIAL, SANDBOX_KEY, create_app

__all__ = ["SANDBOX_CREDENTIAL", "SANDBOX_KEY", "create_app"]
