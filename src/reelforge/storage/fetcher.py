"""The safe fetcher: every URL ReelForge downloads goes through here.

Guards against SSRF: only http(s); the host is resolved and every address must be public
(loopback, private, link-local, shared, multicast, reserved and cloud-metadata addresses are
refused, IPv4 and IPv6, including IPv4-mapped and NAT64/6to4 forms); the connection goes to
the address that was checked (so DNS cannot rebind between check and connect); redirects are
followed by hand and every hop is checked again. Downloads are streamed into the blob store
with a size cap, a deadline, and a type check on the bytes themselves.

An allowlist (settings ``fetch_allow_hosts``) lets tests and sandbox mode reach emulators on
127.0.0.1; in-process transports (sandbox emulators mounted by the composition root) are
reached without any network at all.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.media import kind_of_content_type, sniff_content_type
from reelforge.domain.modes import MediaKind
from reelforge.storage.blobs import BlobInfo, BlobWriter
from reelforge.storage.http_client import CertificateFailure, certificate_error, outgoing_client

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_REDIRECTS = 5
# Metadata endpoints that are not caught by range checks on every platform.
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_METADATA_NAMES = {"metadata.google.internal", "metadata", "instance-data.ec2.internal"}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA_REASON = "cloud metadata address"


def _unsafe(msg: str, url: str, **detail: object) -> ReelForgeError:
    return ReelForgeError(ErrorCode.UNSAFE_URL, msg, detail={"url": _redact_url(url), **detail})


def _redact_url(url: str) -> str:
    """Drop userinfo and query from a URL before it goes into an error or a log."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number (found by the fuzzer)
    except ValueError:
        return "<unparseable url>"
    host = parts.hostname or ""
    if port:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}{parts.path}"


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in every spelling the C resolver accepts:
    dotted, decimal (2130706433), octal (0177.0.0.1), hex (0x7f.1), IPv6 (with a zone)."""
    host = host.strip("[]").split("%", 1)[0].rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):  # loopback by definition (RFC 6761)
        return ipaddress.IPv4Address("127.0.0.1")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_url_syntax(url: str) -> None:
    """What can be refused without any lookup: a URL that does not parse, a scheme other
    than http(s), no host, credentials in the URL, a metadata host name."""
    try:
        parts = urlsplit(url)
        _port = parts.port
    except ValueError as exc:
        raise _unsafe("The URL cannot be parsed.", url, reason="unparseable") from exc
    if parts.scheme not in ("http", "https"):
        raise _unsafe(
            f"Only http and https URLs are allowed, not {parts.scheme or 'none'!r}.",
            url,
            reason="scheme",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _unsafe("The URL has no host.", url, reason="no host")
    if parts.username is not None or parts.password is not None:
        raise _unsafe(
            "The URL carries credentials (user:password@); they are not allowed in it.",
            url,
            reason="credentials in url",
        )
    if host in _METADATA_NAMES:
        raise _unsafe(
            "The URL points at a cloud metadata service, which is not allowed.",
            url,
            reason="cloud metadata address",
        )


def blocked_reason(ip: IPAddress) -> str | None:
    """Why an address must not be reached, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return blocked_reason(ip.ipv4_mapped)
        if ip in _NAT64:
            return blocked_reason(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            return blocked_reason(ip.sixtofour)
        if ip.teredo is not None:
            return "teredo tunnel address"
    if ip in _METADATA:
        return _METADATA_REASON
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_private:
        return "private address"
    if ip.is_reserved or not ip.is_global:
        return "reserved or non-global address"
    return None


async def _send(client: httpx.AsyncClient, request: httpx.Request, url: str) -> httpx.Response:
    """Send without following redirects. httpx still parses a redirect's Location, and one
    it cannot parse (``jar:``, ``127.000.0.1``) is refused here, not raised as an error."""
    try:
        return await client.send(request, stream=True)
    except httpx.InvalidURL as exc:
        raise _unsafe("The server redirected to a URL that cannot be used.", url) from exc
    except httpx.RemoteProtocolError as exc:
        if "location" not in str(exc).lower():
            raise
        raise _unsafe("The server redirected to a URL that cannot be used.", url) from exc


@dataclass(frozen=True, slots=True)
class FetchResult:
    blob: BlobInfo
    content_type: str
    kind: MediaKind
    head: bytes
    final_url: str


class SafeFetcher:
    def __init__(
        self,
        *,
        max_bytes: int,
        timeout_seconds: float,
        allow_hosts: Iterable[str] = (),
        internal_transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        ca_bundles: Sequence[Path | str] = (),
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        self.allow_hosts = {h.lower() for h in allow_hosts}
        self.internal = dict(internal_transports or {})
        # Never through a proxy: the address checked is the address connected to.
        # Private CAs are trusted all the same (settings.ca_bundles).
        self._client = outgoing_client(
            timeout=httpx.Timeout(30.0, connect=10.0),
            trust_env=False,
            ca_bundles=ca_bundles,
            bulk=True,
        )
        self._internal_clients = {
            host: httpx.AsyncClient(transport=t, follow_redirects=False, trust_env=False)
            for host, t in self.internal.items()
        }

    def add_internal_transport(self, host: str, transport: httpx.AsyncBaseTransport) -> None:
        """Reach ``host`` through an in-process transport (sandbox emulators)."""
        self.internal[host.lower()] = transport
        self._internal_clients[host.lower()] = httpx.AsyncClient(
            transport=transport, follow_redirects=False, trust_env=False
        )

    async def aclose(self) -> None:
        await self._client.aclose()
        for client in self._internal_clients.values():
            await client.aclose()

    def _allowed(self, host: str, port: int) -> bool:
        host = host.lower()
        return host in self.allow_hosts or f"{host}:{port}" in self.allow_hosts

    def check_url_offline(self, url: str) -> None:
        """The checks that need no lookup: the syntax, and an address given literally (a
        URL stored now and fetched later is checked in full when it is fetched)."""
        check_url_syntax(url)
        parts = urlsplit(url)
        host = parts.hostname or ""
        literal = literal_address(host)
        if literal is None:
            return
        if self._allowed(host, parts.port or (443 if parts.scheme == "https" else 80)):
            return
        reason = blocked_reason(literal)
        if reason:
            raise _unsafe(
                f"The URL points at a {reason}, which is not allowed.",
                url,
                reason=reason,
                address=str(literal),
            )

    async def check_url(self, url: str, *, private_ok: bool = False) -> list[IPAddress]:
        """Validate a URL and return the addresses it may be reached at.

        Raises UNSAFE_URL with the reason. Used for downloads, outgoing webhooks and
        user-supplied engine URLs. ``private_ok``: loopback and private addresses are
        allowed (an engine the owner allowed); cloud metadata addresses never are.
        """
        check_url_syntax(url)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if parts.netloc.lower() in self.internal:
            return []
        literal = literal_address(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
            except socket.gaierror as exc:
                raise _unsafe(f"The host {host!r} does not resolve.", url, reason="dns") from exc
            addresses = list(dict.fromkeys(ipaddress.ip_address(i[4][0]) for i in infos))
        if self._allowed(host, port):
            return addresses
        for ip in addresses:
            reason = blocked_reason(ip)
            if private_ok and reason not in (None, _METADATA_REASON):
                continue
            if reason:
                raise _unsafe(
                    f"The URL points at a {reason}, which is not allowed.",
                    url,
                    reason=reason,
                    address=str(ip),
                )
        return addresses

    async def fetch_to(
        self,
        url: str,
        writer: BlobWriter,
        *,
        kinds: Iterable[MediaKind] | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """Stream ``url`` into ``writer`` and commit it. On any failure the writer is aborted."""
        limit = max_bytes or self.max_bytes
        wanted = set(kinds) if kinds is not None else None
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return await self._fetch(url, writer, wanted, limit)
        except TimeoutError as exc:
            writer.abort()
            raise ReelForgeError(
                ErrorCode.ENGINE_TIMEOUT,
                f"The download did not finish within {self.timeout_seconds:g} s.",
                detail={"url": _redact_url(url)},
            ) from exc
        except CertificateFailure as exc:
            writer.abort()
            raise certificate_error(exc, what="The download") from exc
        except httpx.HTTPError as exc:
            # The connection dropped or the body broke off (a server closing a kept-alive
            # connection, a reset): a passing failure, worth another try.
            writer.abort()
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "The download failed before it was complete.",
                detail={"url": _redact_url(url), "reason": type(exc).__name__},
                remediation=("Try again; the file is fetched from the start.",),
                retryable=True,
            ) from exc
        except BaseException:
            writer.abort()
            raise

    async def _fetch(
        self, url: str, writer: BlobWriter, wanted: set[MediaKind] | None, limit: int
    ) -> FetchResult:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            addresses = await self.check_url(current)
            request = self._build_request(current, addresses)
            client = self._internal_clients.get(urlsplit(current).netloc.lower(), self._client)
            response = await _send(client, request, current)
            try:
                if response.is_redirect:
                    location = response.headers.get("location")
                    if not location:
                        raise _unsafe("A redirect without a Location header.", current)
                    current = urljoin(current, location)
                    continue
                if response.status_code in (404, 410, 403):
                    raise ReelForgeError(
                        ErrorCode.FILE_NOT_FOUND,
                        f"The media URL answered {response.status_code}; it may have expired.",
                        detail={"url": _redact_url(current), "status": response.status_code},
                    )
                if response.status_code >= 400:
                    raise ReelForgeError(
                        ErrorCode.PROVIDER_ERROR,
                        f"The media URL answered {response.status_code}.",
                        detail={"url": _redact_url(current), "status": response.status_code},
                        retryable=response.status_code >= 500 or response.status_code == 429,
                    )
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > limit:
                    raise ReelForgeError(
                        ErrorCode.PAYLOAD_TOO_LARGE,
                        "The file is larger than allowed.",
                        detail={"limit_bytes": limit, "size_bytes": int(declared)},
                    )
                async for chunk in response.aiter_bytes():
                    writer.write(chunk)
                    if writer.size > limit:
                        raise ReelForgeError(
                            ErrorCode.PAYLOAD_TOO_LARGE,
                            "The file is larger than allowed.",
                            detail={"limit_bytes": limit},
                        )
                content_type = sniff_content_type(writer.head)
                kind = kind_of_content_type(content_type)
                if content_type is None or kind is None:
                    raise ReelForgeError(
                        ErrorCode.UNSUPPORTED_MEDIA,
                        "The downloaded file is not a known image, video or audio format.",
                        detail={
                            "url": _redact_url(current),
                            "declared_type": response.headers.get("content-type"),
                        },
                    )
                if wanted is not None and kind not in wanted:
                    raise ReelForgeError(
                        ErrorCode.UNSUPPORTED_MEDIA,
                        f"Expected {'/'.join(sorted(wanted))} but the file is {kind.value}.",
                        detail={"url": _redact_url(current), "content_type": content_type},
                    )
                head = writer.head
                blob = await writer.commit()
                return FetchResult(blob, content_type, kind, head, current)
            finally:
                await response.aclose()
        raise _unsafe(f"More than {MAX_REDIRECTS} redirects.", url, reason="redirects")

    @asynccontextmanager
    async def open_stream(
        self, url: str, headers: dict[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """GET ``url`` under the same address rules, following (and checking) redirects by
        hand, and yield the first non-redirect response unread; the caller streams the body
        and judges the status (model downloads: ranges, sizes beyond ``max_bytes``, no
        media sniffing). Connection failures are the caller's to translate."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            addresses = await self.check_url(current)
            request = self._build_request(current, addresses, headers=headers)
            client = self._internal_clients.get(urlsplit(current).netloc.lower(), self._client)
            response = await _send(client, request, current)
            if response.is_redirect:
                location = response.headers.get("location")
                await response.aclose()
                if not location:
                    raise _unsafe("A redirect without a Location header.", current)
                current = urljoin(current, location)
                continue
            try:
                yield response
            finally:
                await response.aclose()
            return
        raise _unsafe(f"More than {MAX_REDIRECTS} redirects.", url, reason="redirects")

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST to a URL under the same address rules (no redirects); returns the status."""
        addresses = await self.check_url(url)
        request = self._build_request(url, addresses, method="POST", content=body, headers=headers)
        client = self._internal_clients.get(urlsplit(url).netloc.lower(), self._client)
        try:
            async with asyncio.timeout(30):
                response = await client.send(request)
        except CertificateFailure as exc:
            raise certificate_error(exc, what="The webhook") from exc
        except (TimeoutError, httpx.HTTPError) as exc:
            raise ReelForgeError(
                ErrorCode.PROVIDER_ERROR,
                "The webhook receiver did not answer.",
                detail={"url": _redact_url(url), "reason": type(exc).__name__},
                retryable=True,
            ) from exc
        return response.status_code

    def _build_request(
        self,
        url: str,
        addresses: list[IPAddress],
        *,
        method: str = "GET",
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Request:
        parts = urlsplit(url)
        if not addresses:  # in-process transport
            return httpx.Request(method, url, content=content, headers=headers)
        host = parts.hostname or ""
        ip = addresses[0]
        ip_host = f"[{ip}]" if isinstance(ip, ipaddress.IPv6Address) else str(ip)
        netloc = ip_host if parts.port is None else f"{ip_host}:{parts.port}"
        pinned = parts._replace(netloc=netloc).geturl()
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        return httpx.Request(
            method,
            pinned,
            content=content,
            headers={**(headers or {}), "Host": host_header},
            extensions=extensions,
        )
