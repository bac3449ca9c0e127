"""Together AI emulator: ``POST /v1/images/generations`` and ``GET /v1/models``."""

from reelforge.emulators.together.app import SANDBOX_CREDENTIAL, create_app

__all__ = ["SANDBOX_CREDENTIAL", "create_app"]
