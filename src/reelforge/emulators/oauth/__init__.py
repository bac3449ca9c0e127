"""A local OAuth 2.0 / OpenID Connect provider emulator (GitHub's and Google's sign-in)."""

from reelforge.emulators.oauth.app import CLIENTS, create_app

__all__ = ["CLIENTS", "create_app"]
