"""Pollinations emulator: the anonymous ``/prompt/{prompt}`` image endpoint, the keyed
gateway's ``/image/{prompt}``, and the model lists."""

from reelforge.emulators.pollinations.app import SANDBOX_CREDENTIAL, create_app

__all__ = ["SANDBOX_CREDENTIAL", "create_app"]
