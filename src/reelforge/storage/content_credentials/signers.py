"""Who signs a manifest: any object with ``sign(data) -> signature`` and the certificate
chain that vouches for it (a hardware module, a cloud KMS, a signing service), or the
local key. The c2pa library calls it back with the bytes to sign."""

from __future__ import annotations

import threading
from typing import Any, Protocol, runtime_checkable

import c2pa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from reelforge.storage.content_credentials.keys import SigningMaterial

_ALGS = {
    "es256": c2pa.C2paSigningAlg.ES256,
    "es384": c2pa.C2paSigningAlg.ES384,
    "es512": c2pa.C2paSigningAlg.ES512,
    "ps256": c2pa.C2paSigningAlg.PS256,
    "ed25519": c2pa.C2paSigningAlg.ED25519,
}


@runtime_checkable
class RemoteSigner(Protocol):
    """The signing interface. ``sign`` receives the COSE ``Sig_structure`` bytes and
    returns the signature (DER or raw r||s for ECDSA). It runs in a worker thread, so a
    blocking call to a signing service is fine."""

    alg: str  # es256, es384, es512, ps256, ed25519
    certificate_chain: str  # PEM, signing certificate first
    timestamp_url: str | None  # an RFC 3161 authority, or None

    def sign(self, data: bytes) -> bytes: ...


class LocalSigner:
    """The key in the data directory (or the operator's PEM key), kept in memory."""

    timestamp_url: str | None = None

    def __init__(self, material: SigningMaterial) -> None:
        key = material.private_key()
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError("the local signer takes an ECDSA key (P-256, P-384 or P-521)")
        self._key = key
        self._hash: hashes.HashAlgorithm = {256: hashes.SHA256(), 384: hashes.SHA384()}.get(
            key.curve.key_size, hashes.SHA512()
        )
        self.alg = {256: "es256", 384: "es384"}.get(key.curve.key_size, "es512")
        self.certificate_chain = material.chain_pem.decode()

    def __repr__(self) -> str:  # never the key
        return f"LocalSigner(alg={self.alg!r})"

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, ec.ECDSA(self._hash))


class LibrarySigner:
    """A ``RemoteSigner`` as the c2pa library's signer, made once and reused (the library
    serialises calls on it, so threads take turns through a lock of our own as well)."""

    def __init__(self, signer: RemoteSigner) -> None:
        alg = _ALGS.get(signer.alg.lower())
        if alg is None:
            raise ValueError(f"unsupported signing algorithm {signer.alg!r}")
        self.remote = signer
        self.lock = threading.Lock()
        self._native: Any = c2pa.Signer.from_callback(
            signer.sign, alg, signer.certificate_chain, signer.timestamp_url
        )

    @property
    def native(self) -> Any:
        return self._native
