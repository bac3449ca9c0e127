"""Kling emulator: JWT-verified endpoints with Kling's ``{code, message, data}`` envelope.

Paths, fields, statuses (``submitted`` → ``processing`` → ``succeed`` | ``failed``) and
business codes per shared/reference/providers-video.md §2 and its emulator checklist.
Extra accepted credentials come in ``EmulatorConfig.keys`` as ``"ACCESS_KEY:SECRET_KEY"``.
"""

from __future__ import annotations

from starlette.applications import Starlette

from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.kling.app import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, build_app

SANDBOX_CREDENTIAL: dict[str, str] = {
    "access_key": SANDBOX_ACCESS_KEY,
    "secret_key": SANDBOX_SECRET_KEY,
}


def create_app(config: EmulatorConfig) -> Starlette:
    return build_app(config)


__all__ = ["SANDBOX_CREDENTIAL", "create_app"]
