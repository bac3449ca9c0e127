"""Private certificate authorities (a corporate TLS proxy, a MinIO on a private CA): one
setting trusted by every outgoing client, and an untrusted certificate is its own error,
never retried."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.providers.http import send
from reelforge.settings import Settings
from reelforge.storage.blobs import FileBlobStore
from reelforge.storage.fetcher import SafeFetcher
from reelforge.storage.http_client import outgoing_client
from tests.helpers import png_bytes, serve_asgi


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_pki(folder: Path) -> tuple[Path, Path, Path]:
    """A private CA and a certificate it issued for 127.0.0.1: (ca.pem, cert.pem, key.pem)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("ReelForge test CA"))
        .issuer_name(_name("ReelForge test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


async def _image(_request: object) -> Response:
    return Response(png_bytes(), media_type="image/png")


@pytest.fixture(scope="module")
def private_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An https server on 127.0.0.1 whose certificate only the private CA vouches for."""
    ca, cert, key = _write_pki(tmp_path_factory.mktemp("pki"))
    app = Starlette(routes=[Route("/x.png", _image)])
    with serve_asgi(app, tls=(cert, key)) as base:
        yield base, ca


def _fetcher(base: str, **kw: object) -> SafeFetcher:
    host = base.removeprefix("https://")
    return SafeFetcher(max_bytes=1_000_000, timeout_seconds=10, allow_hosts=[host], **kw)  # type: ignore[arg-type]


async def test_an_untrusted_certificate_is_its_own_error_and_not_retried(
    private_host: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ca = private_host
    fetcher = _fetcher(base)
    try:
        with pytest.raises(ReelForgeError) as info:
            await fetcher.fetch_to(f"{base}/x.png", FileBlobStore(tmp_path).writer())
    finally:
        await fetcher.aclose()
    err = info.value
    assert err.code is ErrorCode.CERTIFICATE_ERROR and not err.retryable, err
    assert err.detail["host"] == "127.0.0.1" and "certificate" in err.detail["reason"].lower()
    assert "REELFORGE_CA_BUNDLE" in " ".join(err.remediation)


async def test_the_private_ca_setting_makes_downloads_work(
    private_host: tuple[str, Path], tmp_path: Path
) -> None:
    base, ca = private_host
    fetcher = _fetcher(base, ca_bundles=[ca])
    try:
        result = await fetcher.fetch_to(
            f"{base}/x.png", FileBlobStore(tmp_path).writer(), kinds=[MediaKind.IMAGE]
        )
    finally:
        await fetcher.aclose()
    assert result.content_type == "image/png"


async def test_adapters_share_the_setting_and_the_error(private_host: tuple[str, Path]) -> None:
    base, ca = private_host
    plain = outgoing_client(timeout=_timeout())
    trusted = outgoing_client(timeout=_timeout(), ca_bundles=[ca])
    try:
        with pytest.raises(ReelForgeError) as info:
            await send(plain, "fal", "GET", f"{base}/x.png")
        assert info.value.code is ErrorCode.CERTIFICATE_ERROR and not info.value.retryable
        assert "fal" in info.value.message
        answer = await send(trusted, "fal", "GET", f"{base}/x.png")
        assert answer.status_code == 200 and answer.content == png_bytes()
    finally:
        await plain.aclose()
        await trusted.aclose()


def test_ssl_cert_file_is_honoured_like_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "corp.pem"))
    monkeypatch.setenv("REELFORGE_CA_BUNDLE", str(tmp_path / "minio.pem"))
    assert Settings(home=tmp_path).ca_bundles == [tmp_path / "minio.pem", tmp_path / "corp.pem"]


def _timeout() -> object:
    import httpx

    return httpx.Timeout(10.0)
