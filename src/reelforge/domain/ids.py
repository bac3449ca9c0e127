"""Identifiers: a short type prefix plus a time-ordered random part (ULID-like).

Time ordering keeps database indexes append-mostly and makes ids sort by creation.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _b32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_id(prefix: str) -> str:
    """``new_id("run")`` → ``run_01jd3...`` (10 chars of milliseconds + 16 random)."""
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{_b32(millis, 10)}{_b32(secrets.randbits(80), 16)}"


def id_prefix(identifier: str) -> str:
    return identifier.split("_", 1)[0] if "_" in identifier else ""
