"""Verifying Kling's JWT as the real API does: HS256 signed with the secret key of the
access key named in ``iss``; ``nbf`` in the future → 1003, ``exp`` passed → 1004."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import jwt

from reelforge.emulators.kling.errors import kling_fault


def verify_token(
    header: str | None,
    secrets: Mapping[str, str],
    clock: Callable[[], float] = time.time,
) -> str:
    """The access key the token was issued for; raises the Kling auth fault otherwise."""
    if not header or not header.strip():
        raise kling_fault(1001)
    scheme, _, token = header.strip().partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise kling_fault(1002)
    token = token.strip()
    try:
        head = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise kling_fault(1002) from exc
    if head.get("alg") != "HS256":
        raise kling_fault(1002, "Authorization is invalid: the token must be signed with HS256")
    access_key = claims.get("iss")
    secret = secrets.get(access_key) if isinstance(access_key, str) else None
    if secret is None or not isinstance(access_key, str):
        raise kling_fault(1000, "Authentication failed: unknown access key")
    try:
        # Time claims are checked below so each failure gets its own Kling code.
        jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.InvalidSignatureError as exc:
        raise kling_fault(1000, "Authentication failed: signature mismatch") from exc
    except jwt.PyJWTError as exc:
        raise kling_fault(1002) from exc
    now = clock()
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and nbf > now:
        raise kling_fault(1003)
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now:
        raise kling_fault(1004)
    return access_key
