"""Kling's API token: a JWT (HS256) made from the access key and signed with the secret key.

Claims per Kling's docs: ``iss`` = access key, ``exp`` = now + 30 min, ``nbf`` = now − 5 s
(a small allowance for clock skew). Tokens are cached per key pair and renewed a few
minutes before they expire, so a request never leaves with a token about to lapse.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

import jwt

TOKEN_LIFETIME_SECONDS = 30 * 60
NOT_BEFORE_SKEW_SECONDS = 5
# Renew this long before expiry: covers a slow request plus clock drift at Kling's end.
RENEW_BEFORE_SECONDS = 5 * 60


def make_token(access_key: str, secret_key: str, now: float) -> tuple[str, int]:
    """A fresh token and its expiry (epoch seconds)."""
    issued = int(now)
    expires = issued + TOKEN_LIFETIME_SECONDS
    claims = {"iss": access_key, "exp": expires, "nbf": issued - NOT_BEFORE_SKEW_SECONDS}
    token = jwt.encode(claims, secret_key, algorithm="HS256", headers={"typ": "JWT"})
    return token, expires


class KlingTokens:
    """Per key-pair token cache. ``clock`` is injectable so tests can move time."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._tokens: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()
        self.issued = 0  # how many tokens were minted (tests check renewal)

    @staticmethod
    def _slot(access_key: str, secret_key: str) -> str:
        # Keyed by a digest so the cache never holds the secret key itself.
        return hashlib.sha256(f"{access_key}\x00{secret_key}".encode()).hexdigest()

    def token(self, access_key: str, secret_key: str) -> str:
        slot = self._slot(access_key, secret_key)
        now = self.clock()
        with self._lock:
            cached = self._tokens.get(slot)
            if cached is not None and cached[1] - now > RENEW_BEFORE_SECONDS:
                return cached[0]
            token, expires = make_token(access_key, secret_key, now)
            self._tokens[slot] = (token, expires)
            self.issued += 1
            return token

    def invalidate(self, access_key: str, secret_key: str) -> None:
        with self._lock:
            self._tokens.pop(self._slot(access_key, secret_key), None)
