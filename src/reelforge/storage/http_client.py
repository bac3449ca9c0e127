"""The outgoing HTTP client: httpx's API over aiohttp's connections.

Adapters, the safe fetcher and webhooks speak httpx (its requests, responses, errors and
transports; emulators are mounted as in-process transports in sandbox mode). Underneath,
the sockets and the HTTP/1.1 parsing are aiohttp's (``httpx-aiohttp``, by an httpx
maintainer): measured on a keep-alive loopback connection, a small POST costs 0.40 ms of
CPU instead of 0.79 ms and a streamed GET 0.33 ms instead of 0.56 ms, which is what a
worker with thousands of tasks in flight spends its time on.

Cookies are never kept (one client serves every user's credentials), by either layer:
httpx's jar is replaced by one that takes nothing, which also saves the stdlib cookie
machinery it runs on every response (9% of a worker's CPU in a profile).

httpx-aiohttp maps every ``aiohttp.ClientConnectionError`` it has no closer match for to
``httpx.ConnectTimeout``: a server that hangs up or resets the connection would read as
"timed out". Those are mapped again here to the errors httpx's own transport raises.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import certifi
import httpx
from httpx_aiohttp import AiohttpTransport

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage import send_gate


class CertificateFailure(httpx.ConnectError):
    """The server's TLS certificate is not trusted (or does not fit the host): a setting
    to change, never a passing failure, so nobody retries it."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host, self.reason = host, reason


def certificate_error(exc: CertificateFailure, *, what: str) -> ReelForgeError:
    """The one error for an untrusted certificate, whoever made the request."""
    return ReelForgeError(
        ErrorCode.CERTIFICATE_ERROR,
        f"{what}: the TLS certificate of {exc.host} is not trusted ({exc.reason}).",
        detail={"host": exc.host, "reason": exc.reason[:300]},
    )


def tls_context(ca_bundles: Sequence[Path | str] = ()) -> ssl.SSLContext:
    """certifi's authorities plus any private ones (a corporate TLS proxy, a MinIO on a
    private CA): PEM files, or directories of hashed certificates (SSL_CERT_DIR)."""
    context = ssl.create_default_context(cafile=certifi.where())
    for bundle in ca_bundles:
        path = Path(bundle)
        if path.is_dir():
            context.load_verify_locations(capath=str(path))
        else:
            context.load_verify_locations(cafile=str(path))
    return context


def combined_bundle(target: Path, ca_bundles: Sequence[Path | str]) -> str | None:
    """One PEM file of certifi's authorities plus the private ones, for clients that take
    a single file (boto3's ``verify``); None when no private bundle file is set."""
    files = [Path(b) for b in ca_bundles if not Path(b).is_dir()]
    if not files:
        return None
    parts = [Path(certifi.where()).read_bytes(), *(f.read_bytes() for f in files)]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"\n".join(parts))
    return str(target)


def _certificate_cause(cause: BaseException) -> CertificateFailure | None:
    if isinstance(cause, aiohttp.ClientConnectorCertificateError):
        host = cause.host
        reason = str(getattr(cause.certificate_error, "verify_message", "") or cause)
        return CertificateFailure(host, reason)
    if isinstance(cause, aiohttp.ClientConnectorSSLError):
        return CertificateFailure(cause.host, str(cause.os_error or cause))
    return None


@contextmanager
def _connection_errors() -> Iterator[None]:
    try:
        yield
    except httpx.ConnectTimeout as exc:
        cause = exc.__cause__
        if cause is None or isinstance(cause, aiohttp.ServerTimeoutError):
            raise  # a real timeout (connecting, or waiting for a pooled connection)
        if (untrusted := _certificate_cause(cause)) is not None:
            raise untrusted from cause
        if isinstance(cause, aiohttp.ServerDisconnectedError):
            raise httpx.RemoteProtocolError(str(cause) or "Server disconnected") from cause
        if isinstance(cause, aiohttp.ServerFingerprintMismatch):
            raise httpx.ConnectError(str(cause)) from cause
        raise httpx.ReadError(str(cause) or type(cause).__name__) from cause


class _Body(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _connection_errors():
            async for chunk in self._inner:
                yield chunk

    async def aclose(self) -> None:
        with _connection_errors():
            await self._inner.aclose()


# A client for bulk transfers (the safe fetcher: model files, provider outputs) reads with
# a larger buffer and hands bodies on in larger pieces than aiohttp's and httpx-aiohttp's
# defaults (64 KiB, 16 KiB). Measured on loopback against curl (bench/bench_download.py),
# a 200 MB download went from about 0.6x curl's speed to about 1x; small JSON answers
# (the provider client) are the same either way, so that client keeps the defaults.
BULK_READ_BUFSIZE = 1024 * 1024
BULK_CHUNK_BYTES = 256 * 1024


class _Transport(AiohttpTransport):
    chunk_bytes: int | None = None  # None: httpx-aiohttp's own piece size

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _connection_errors():
            response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        if self.chunk_bytes is not None and hasattr(response.stream, "CHUNK_SIZE"):
            response.stream.CHUNK_SIZE = self.chunk_bytes
        response.stream = _Body(response.stream)
        return response


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class _OutgoingClient(httpx.AsyncClient):
    gated = False  # its requests pass the send gate on the connection (storage.send_gate)

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, _value: object) -> None:
        return None  # nothing is ever kept


_NO_COOKIES = _NoCookies()


def outgoing_client(
    *,
    timeout: httpx.Timeout,
    max_connections: int = 200,
    keepalive_seconds: float = 5.0,
    follow_redirects: bool = False,
    trust_env: bool = True,
    ca_bundles: Sequence[Path | str] = (),
    bulk: bool = False,
    send_gate_on_wire: bool = False,
) -> httpx.AsyncClient:
    """``trust_env``: SSL_CERT_FILE / SSL_CERT_DIR are honoured. Proxies from the
    environment (HTTPS_PROXY ...) are not: httpx ignores them beside an explicit
    transport, and the aiohttp session is made without ``trust_env``. ``ca_bundles``: private certificate
    authorities trusted besides certifi's (settings.ca_bundles: REELFORGE_CA_BUNDLE,
    SSL_CERT_FILE, SSL_CERT_DIR). ``bulk``: tuned for large bodies. ``send_gate_on_wire``:
    requests pass the send gate on their connection (storage.send_gate; the providers'
    client)."""

    bundles = list(ca_bundles)
    if trust_env:
        # As httpx does with a trusted environment: SSL_CERT_FILE / SSL_CERT_DIR count
        # even when the caller passed no settings (a bare client in a script or test).
        for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            value = os.environ.get(name)
            if value and Path(value).exists() and value not in map(str, bundles):
                bundles.append(value)
    tls = tls_context(bundles)

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=max_connections, keepalive_timeout=keepalive_seconds, ssl=tls
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            request_class=send_gate.GatedRequest if send_gate_on_wire else aiohttp.ClientRequest,
            read_bufsize=BULK_READ_BUFSIZE if bulk else 2**16,
        )

    transport = _Transport(client=session)
    if bulk:
        transport.chunk_bytes = BULK_CHUNK_BYTES
    client = _OutgoingClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=follow_redirects,
        trust_env=trust_env,
    )
    client.gated = send_gate_on_wire
    return client


def gates_on_wire(client: httpx.AsyncClient) -> bool:
    """True when ``client`` passes the send gate itself, on the connection."""
    return isinstance(client, _OutgoingClient) and client.gated
