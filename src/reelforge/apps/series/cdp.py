"""Coinbase's hosted x402 facilitator (CDP): the facilitator HTTP API (POST /verify,
POST /settle; shared/reference/providers-other.md §10) at
``https://api.cdp.coinbase.com/platform/v2/x402``, each request carrying a fresh CDP
Bearer JWT.

The JWT, as the official ``cdp-sdk`` (python/cdp/auth/utils/jwt.py) makes it: header
``{alg: ES256 | EdDSA, kid: <key id>, typ: JWT, nonce: <16 random digits>}``, claims
``{sub: <key id>, iss: "cdp", aud: None, iat, nbf, exp: nbf + 120, uris: ["POST
api.cdp.coinbase.com/platform/v2/x402/verify"]}``; the secret is either an EC key in PEM
(ES256) or base64 of 64 bytes whose first 32 are an Ed25519 seed (EdDSA). The SDK also
sends ``Correlation-Context`` (sdk_version, sdk_language, source=x402, source_version);
we send ours with ``source=x402`` and our own version (Coinbase may log it; whether it is
required is NOT confirmed — the SDK always sends it, so we do too).

Not confirmed here (no live account was used): that the v2 route still accepts protocol
v1 payloads (the SDK's v1 config points v1 clients at this same route with
``source_version=1.0.0``, so we assume it does), and the exact 401 body on a bad JWT.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any
from urllib.parse import urlparse

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from reelforge.apps.series.facilitator import HttpFacilitator

CDP_FACILITATOR_URL = "https://api.cdp.coinbase.com/platform/v2/x402"
JWT_SECONDS = 120
SOURCE_VERSION = "1.0.0"  # x402 protocol v1, as the SDK labels its v1 requests


def _private_key(secret: str) -> ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey:
    text = secret.replace("\\n", "\n")  # keys pasted into .env files lose their newlines
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key
    except ValueError:
        pass
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ValueError("The CDP API key secret is neither an EC PEM key nor base64.") from exc
    if len(raw) != 64:
        raise ValueError("A base64 Ed25519 CDP secret must decode to 64 bytes (seed + public).")
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32])


def cdp_jwt(key_id: str, secret: str, method: str, url: str, now: int | None = None) -> str:
    key = _private_key(secret)
    algorithm = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "EdDSA"
    parsed = urlparse(url)
    issued = int(time.time()) if now is None else now
    claims = {
        "sub": key_id,
        "iss": "cdp",
        "aud": None,
        "iat": issued,
        "nbf": issued,
        "exp": issued + JWT_SECONDS,
        "uris": [f"{method.upper()} {parsed.netloc}{parsed.path}"],
    }
    headers = {
        "alg": algorithm,
        "kid": key_id,
        "typ": "JWT",
        "nonce": "".join(secrets.choice("0123456789") for _ in range(16)),
    }
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


class CdpFacilitator(HttpFacilitator):
    name = "cdp"

    def __init__(
        self,
        key_id: str,
        secret: str,
        url: str = CDP_FACILITATOR_URL,
        client: httpx.AsyncClient | None = None,
        version: str = "dev",
    ) -> None:
        _private_key(secret)  # a bad secret fails at start-up, not on the first tip
        super().__init__(url, client)
        self.key_id = key_id
        self.secret = secret
        self.version = version

    def headers(self, method: str, url: str) -> dict[str, Any]:
        return {
            "Authorization": f"Bearer {cdp_jwt(self.key_id, self.secret, method, url)}",
            "Content-Type": "application/json",
            "Correlation-Context": (
                f"sdk_version={self.version},sdk_language=python,source=x402,"
                f"source_version={SOURCE_VERSION}"
            ),
        }
