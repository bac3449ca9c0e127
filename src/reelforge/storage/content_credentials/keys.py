"""The signing key and certificate chain: generated on first start into the data directory
(a local root CA and an end-entity certificate with the extensions C2PA asks for), or the
operator's own PEM chain and key. Key files are 0600, as the credential secret is."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from reelforge.domain.errors import ErrorCode, ReelForgeError

KEY_FILE = "signing-key.pem"
CHAIN_FILE = "signing-chain.pem"
ROOT_FILE = "root-ca.pem"
# id-kp-documentSigning (RFC 9336), one of the extended key usages C2PA accepts.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
EE_DAYS = 825
ROOT_DAYS = 3650
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class SigningMaterial:
    """A private key (PEM) and the chain that vouches for it (end-entity first)."""

    key_pem: bytes = field(repr=False)
    chain_pem: bytes
    # Trust anchors a reader here should accept besides the library's (our local root).
    anchors_pem: bytes = b""
    origin: str = "local"  # "local" (made here) or "configured" (the operator's)

    def private_key(self) -> PrivateKeyTypes:
        return serialization.load_pem_private_key(self.key_pem, password=None)

    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificates(self.chain_pem)[0]


def _write_private(path: Path, data: bytes) -> None:
    """Create or replace a file readable by its owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def generate(common_name: str = "ReelForge") -> SigningMaterial:
    """A new root CA and an end-entity signing certificate issued by it (ES256).

    The root's private key is not kept: nothing else is ever issued by it, and a key that
    does not exist cannot leak. A new chain is simply generated when this one expires."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    org = x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ReelForge (local)")
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([org, x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} root CA")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=ROOT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([org, x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} signer")])
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=EE_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True, ca=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SigningMaterial(key_pem, _pem(leaf) + _pem(root), _pem(root), "local")


def _expiring(chain_pem: bytes) -> bool:
    leaf = x509.load_pem_x509_certificates(chain_pem)[0]
    return leaf.not_valid_after_utc - RENEW_BEFORE < dt.datetime.now(dt.UTC)


def ensure_local(folder: Path) -> tuple[SigningMaterial, bool]:
    """The local signing material in ``folder``, generated when missing or about to
    expire: (material, whether it was made now)."""
    key_path, chain_path, root_path = folder / KEY_FILE, folder / CHAIN_FILE, folder / ROOT_FILE
    if key_path.exists() and chain_path.exists() and root_path.exists():
        chain = chain_path.read_bytes()
        if not _expiring(chain):
            return SigningMaterial(key_path.read_bytes(), chain, root_path.read_bytes()), False
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    made = generate()
    _write_private(root_path, made.anchors_pem)
    _write_private(chain_path, made.chain_pem)
    _write_private(key_path, made.key_pem)  # last: its presence means the set is whole
    return made, True


def load_configured(chain_path: Path, key_path: Path) -> SigningMaterial:
    """The operator's PEM chain (end-entity first) and private key, checked to match."""
    try:
        chain = chain_path.read_bytes()
        key_pem = key_path.read_bytes()
        certs = x509.load_pem_x509_certificates(chain)
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (OSError, ValueError) as exc:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "The content-credentials certificate chain or key cannot be read.",
            detail={"chain": str(chain_path), "key": str(key_path), "reason": type(exc).__name__},
            remediation=(
                "Set REELFORGE_C2PA_CERT_CHAIN to a PEM file of certificates (signing "
                "certificate first) and REELFORGE_C2PA_PRIVATE_KEY to its unencrypted PEM key.",
            ),
        ) from None
    if certs[0].public_key().public_numbers() != key.public_key().public_numbers():  # type: ignore[union-attr]
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "The content-credentials private key does not belong to the first certificate.",
            detail={"chain": str(chain_path), "key": str(key_path)},
            remediation=("Put the signing certificate first in the chain file.",),
        )
    return SigningMaterial(key_pem, chain, b"", "configured")
