"""Kling's JWT: the claims Kling asks for, caching, and renewal before expiry."""

from __future__ import annotations

import jwt
import pytest

from reelforge.emulators.base import FaultRaised
from reelforge.emulators.kling.auth import verify_token
from reelforge.providers.kling import KlingTokens, make_token

AK, SK = "ak-test-123", "sk-test-456-0123456789abcdef0123456789"
LOOSE = {"verify_exp": False, "verify_nbf": False}
NOW = 1_800_000_000.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_token_claims_and_header() -> None:
    token, expires = make_token(AK, SK, NOW)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, SK, algorithms=["HS256"], options=LOOSE)
    assert claims == {"iss": AK, "exp": int(NOW) + 1800, "nbf": int(NOW) - 5}
    assert expires == int(NOW) + 1800
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            token, "another-secret-0123456789abcdef0123", algorithms=["HS256"], options=LOOSE
        )


def test_tokens_are_cached_then_renewed_before_expiry() -> None:
    clock = Clock(NOW)
    tokens = KlingTokens(clock)
    first = tokens.token(AK, SK)
    clock.now += 1400  # 400 s left: still comfortably valid
    assert tokens.token(AK, SK) == first and tokens.issued == 1
    clock.now += 100  # 300 s left: renewed before it can lapse mid-request
    second = tokens.token(AK, SK)
    assert second != first and tokens.issued == 2
    claims = jwt.decode(second, SK, algorithms=["HS256"], options=LOOSE)
    assert claims["exp"] == int(clock.now) + 1800
    assert tokens.token("other-ak", SK) not in (first, second), "one token per key pair"
    tokens.invalidate(AK, SK)
    tokens.token(AK, SK)
    assert tokens.issued == 4, "an invalidated token is minted again"


def _code(header: str | None, clock: Clock) -> int:
    with pytest.raises(FaultRaised) as info:
        verify_token(header, {AK: SK}, clock)
    return int(info.value.kind.split(":")[1])


def test_the_emulator_verifies_like_kling() -> None:
    clock = Clock(NOW)
    token, _ = make_token(AK, SK, NOW)
    assert verify_token(f"Bearer {token}", {AK: SK}, clock) == AK
    assert _code(None, clock) == 1001
    assert _code("Bearer not-a-jwt", clock) == 1002
    assert _code(f"Bearer {make_token('unknown', SK, NOW)[0]}", clock) == 1000
    forged, _ = make_token(AK, "wrong-secret-0123456789abcdef0123456789", NOW)
    assert _code(f"Bearer {forged}", clock) == 1000
    assert _code(f"Bearer {make_token(AK, SK, NOW + 60)[0]}", clock) == 1003  # nbf ahead
    assert _code(f"Bearer {make_token(AK, SK, NOW - 1801)[0]}", clock) == 1004  # expired
    none_alg = jwt.encode({"iss": AK, "exp": NOW + 60}, SK * 2, algorithm="HS512")
    assert _code(f"Bearer {none_alg}", clock) == 1002
