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

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


@contextmanager
def _connection_errors() -> Iterator[None]:
    try:
        yield
    except httpx.ConnectTimeout as exc:
        cause = exc.__cause__
        if cause is None or isinstance(cause, aiohttp.ServerTimeoutError):
            raise  # a real timeout (connecting, or waiting for a pooled connection)
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
    bulk: bool = False,
) -> httpx.AsyncClient:
    """``trust_env``: proxies from the environment (HTTPS_PROXY ...) are honoured; httpx
    sends proxied requests through its own transport. ``bulk``: tuned for large bodies."""

    # The same certificate authorities httpx trusts (certifi, or SSL_CERT_FILE/DIR when the
    # environment is trusted), not whatever the system happens to have.
    tls = httpx.create_ssl_context(trust_env=trust_env)

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=max_connections, keepalive_timeout=keepalive_seconds, ssl=tls
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            read_bufsize=BULK_READ_BUFSIZE if bulk else 2**16,
        )

    transport = _Transport(client=session)
    if bulk:
        transport.chunk_bytes = BULK_CHUNK_BYTES
    return _OutgoingClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=follow_redirects,
        trust_env=trust_env,
    )
