"""x402 protocol v1, "exact" scheme on EVM (USDC, EIP-3009), as the series platform speaks
it (shared/reference/providers-other.md §10): payment requirements for a 402 answer, the
``X-PAYMENT`` header decoded, and the checks a facilitator makes (signature recovers
``from``, ``to == payTo``, asset and network, ``value >= required``,
``validAfter <= now < validBefore``). Whether the nonce was seen before is the caller's
check (the database's), because only it can make that check and the vote one transaction.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from reelforge.apps.series import signing

VERSION = 1
SCHEME = "exact"
MICROS_PER_CENT = 10_000  # USDC has 6 decimals: one cent is 10 000 atomic units


class PaymentRefused(Exception):
    """A payment that cannot be accepted; ``reason`` is an x402 error reason code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Requirements:
    network: str
    amount_atomic: int
    pay_to: str
    resource: str
    description: str
    max_timeout_seconds: int = 300

    @property
    def asset(self) -> str:
        return signing.NETWORKS[self.network][1]

    @property
    def chain_id(self) -> int:
        return signing.NETWORKS[self.network][0]

    @property
    def token_name(self) -> str:
        return signing.NETWORKS[self.network][2]

    def wire(self) -> dict[str, Any]:
        return {
            "scheme": SCHEME,
            "network": self.network,
            "maxAmountRequired": str(self.amount_atomic),
            "resource": self.resource,
            "description": self.description,
            "mimeType": "application/json",
            "outputSchema": None,
            "payTo": self.pay_to,
            "maxTimeoutSeconds": self.max_timeout_seconds,
            "asset": self.asset,
            "extra": {"name": self.token_name, "version": "2"},
        }


@dataclass(frozen=True, slots=True)
class Payment:
    payload: dict[str, Any]  # the decoded X-PAYMENT header
    payer: str  # lower-case
    to: str
    value: int
    valid_after: int
    valid_before: int
    nonce: str  # lower-case 0x + 64 hex
    signature: str


def decode_header(header: str) -> dict[str, Any]:
    try:
        raw = base64.b64decode(header.strip(), validate=False)
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise PaymentRefused("invalid_payload", "X-PAYMENT is not base64 of JSON.") from exc
    if not isinstance(payload, dict):
        raise PaymentRefused("invalid_payload", "X-PAYMENT must be a JSON object.")
    return payload


def encode_header(payload: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PaymentRefused("invalid_payload", f"authorization.{field} must be a decimal string.")
    try:
        number = int(value)
    except ValueError as exc:
        raise PaymentRefused(
            "invalid_payload", f"authorization.{field} must be a decimal string."
        ) from exc
    if number < 0:
        raise PaymentRefused("invalid_payload", f"authorization.{field} must not be negative.")
    return number


def verify(payload: dict[str, Any], req: Requirements, now: int) -> Payment:
    """Every check of the exact EVM scheme that needs no chain state (raises PaymentRefused)."""
    if payload.get("x402Version") != VERSION:
        raise PaymentRefused("invalid_x402_version", "Only x402Version 1 is accepted.")
    if payload.get("scheme") != SCHEME:
        raise PaymentRefused("invalid_scheme", "Only the 'exact' scheme is accepted.")
    if payload.get("network") != req.network:
        raise PaymentRefused("invalid_network", f"Pay on network {req.network!r}.")
    inner = payload.get("payload")
    auth = inner.get("authorization") if isinstance(inner, dict) else None
    signature = inner.get("signature") if isinstance(inner, dict) else None
    if not isinstance(auth, dict) or not isinstance(signature, str):
        raise PaymentRefused(
            "invalid_payload", "payload.signature and payload.authorization are required."
        )
    payer, to, nonce = auth.get("from"), auth.get("to"), auth.get("nonce")
    if not signing.is_address(payer) or not signing.is_address(to):
        raise PaymentRefused("invalid_payload", "authorization.from/to must be 0x addresses.")
    if not isinstance(nonce, str) or not signing.NONCE32.match(nonce):
        raise PaymentRefused("invalid_payload", "authorization.nonce must be 0x + 32 bytes hex.")
    value = _int(auth.get("value"), "value")
    after = _int(auth.get("validAfter"), "validAfter")
    before = _int(auth.get("validBefore"), "validBefore")
    assert isinstance(payer, str) and isinstance(to, str)
    signer = signing.recover_transfer(
        auth, signature, chain_id=req.chain_id, asset=req.asset, name=req.token_name
    )
    if signer is None or signer != signing.norm(payer):
        raise PaymentRefused(
            "invalid_exact_evm_payload_signature",
            "The signature does not recover authorization.from (EIP-3009 typed data).",
        )
    if signing.norm(to) != signing.norm(req.pay_to):
        raise PaymentRefused(
            "invalid_exact_evm_payload_recipient_mismatch", "authorization.to is not our payTo."
        )
    if value < req.amount_atomic:
        raise PaymentRefused(
            "invalid_exact_evm_payload_authorization_value",
            f"authorization.value {value} is below the required {req.amount_atomic}.",
        )
    if after > now:
        raise PaymentRefused(
            "invalid_exact_evm_payload_authorization_valid_after",
            "The authorization is not valid yet (validAfter is in the future).",
        )
    if before <= now:
        raise PaymentRefused(
            "invalid_exact_evm_payload_authorization_valid_before",
            "The authorization has expired (validBefore has passed).",
        )
    return Payment(
        payload=payload,
        payer=signing.norm(payer),
        to=signing.norm(to),
        value=value,
        valid_after=after,
        valid_before=before,
        nonce=nonce.lower(),
        signature=signature,
    )


def payment_required_body(req: Requirements, error: str, **extra: Any) -> dict[str, Any]:
    return {"x402Version": VERSION, "error": error, "accepts": [req.wire()], **extra}
