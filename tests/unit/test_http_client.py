"""The outgoing client (storage/http_client.py): TLS is verified against the authorities
httpx trusts (SSL_CERT_FILE when the environment is trusted), and no cookie is kept."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reelforge.storage.http_client import outgoing_client

TIMEOUT = httpx.Timeout(5.0)


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def https_url(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: session=abc; Path=/\r\n"
            b"Connection: close\r\n\r\nok"
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"https://127.0.0.1:{port}/", cert
    finally:
        server.close()
        await server.wait_closed()


async def test_an_unknown_certificate_authority_is_refused(https_url: tuple[str, Path]) -> None:
    url, _cert = https_url
    client = outgoing_client(timeout=TIMEOUT, trust_env=False)
    try:
        with pytest.raises(httpx.TransportError):
            await client.get(url)
    finally:
        await client.aclose()


async def test_an_authority_named_by_ssl_cert_file_is_trusted_and_no_cookie_is_kept(
    https_url: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = https_url
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    client = outgoing_client(timeout=TIMEOUT, trust_env=True)
    try:
        response = await client.get(url)
        assert response.status_code == 200 and response.text == "ok"
        assert response.headers["set-cookie"].startswith("session=")
        assert len(client.cookies) == 0
    finally:
        await client.aclose()


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def plain_server(
    handler: Handler, timeout: httpx.Timeout = TIMEOUT
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """A raw HTTP/1.1 server on 127.0.0.1 answering with ``handler``, and a client for it."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    client = outgoing_client(timeout=timeout, trust_env=False)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/", client
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()


async def test_a_server_that_hangs_up_is_not_a_timeout() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    async with plain_server(hang_up) as (url, client):
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            await client.post(url, json={"prompt": "x"})
        assert not isinstance(caught.value, httpx.TimeoutException)


async def test_a_body_cut_short_is_a_read_error_not_a_timeout() -> None:
    async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        await writer.drain()
        writer.close()

    async with plain_server(cut_short) as (url, client):
        with pytest.raises(httpx.TransportError) as caught:
            await client.get(url)
        assert not isinstance(caught.value, httpx.TimeoutException)


async def test_a_server_that_never_answers_is_a_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    async with plain_server(silent, httpx.Timeout(5.0, read=0.2)) as (url, client):
        with pytest.raises(httpx.ReadTimeout):
            await client.get(url)
