"""The CLI talks to a running ``reelforge serve`` over HTTP, as the owner (owner.key).

Nothing here opens the database or creates the data directory: the server URL and the
key come from ``--server`` / ``REELFORGE_SERVER`` / the settings, and ``REELFORGE_API_KEY``
or the owner key file.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError

if TYPE_CHECKING:
    from reelforge.settings import Settings

# A dropped event stream is re-opened (with Last-Event-ID) for this long before giving up.
RECONNECT_SECONDS = 30.0
_pause = time.sleep  # (tests replace it)


def _settings() -> Settings:
    from reelforge.settings import Settings

    return Settings()


def server_url(settings: Settings | None, override: str | None = None) -> str:
    url = override or os.environ.get("REELFORGE_SERVER")
    if not url:
        settings = settings or _settings()
        url = f"http://{settings.host}:{settings.port}"
    return url.rstrip("/")


def api_key(settings: Settings | None = None) -> str:
    key = os.environ.get("REELFORGE_API_KEY")
    if key:
        return key.strip()
    settings = settings or _settings()
    try:
        return settings.owner_key_path.read_text().strip()
    except FileNotFoundError as exc:
        raise ReelForgeError(
            ErrorCode.AUTH_FAILED,
            f"No API key: {settings.owner_key_path} does not exist.",
            remediation=(
                "Start the server once (`reelforge serve`) to create it,",
                "or set REELFORGE_API_KEY.",
            ),
        ) from exc


def raise_for_envelope(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        err = response.json()["error"]
    except (ValueError, KeyError, TypeError, httpx.ResponseNotRead):
        raise ReelForgeError(
            ErrorCode.INTERNAL_ERROR, f"The server answered {response.status_code}."
        ) from None
    code = err.get("code", "INTERNAL_ERROR")
    raise ReelForgeError(
        ErrorCode(code) if code in ErrorCode._value2member_map_ else ErrorCode.INTERNAL_ERROR,
        err.get("message"),
        detail=err.get("detail"),
        remediation=tuple(err.get("remediation") or ()) or None,
    )


@dataclass
class Event:
    id: str | None
    type: str
    data: dict[str, Any]


class Api:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def _offline(self, exc: Exception) -> ReelForgeError:
        return ReelForgeError(
            ErrorCode.ENGINE_OFFLINE,
            f"Cannot reach ReelForge at {self.client.base_url}.",
            remediation=(
                "Start it with `reelforge serve`, or pass --server / set REELFORGE_SERVER.",
            ),
            detail={"reason": str(exc)[:200]},
        )

    def request(self, method: str, path: str, **kw: Any) -> Any:
        try:
            response = self.client.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise self._offline(exc) from exc
        raise_for_envelope(response)
        if response.status_code == 204 or not response.content:
            return None
        ctype = response.headers.get("content-type", "")
        return response.json() if "json" in ctype else response.content

    @contextmanager
    def stream(self, path: str) -> Iterator[httpx.Response]:
        try:
            with self.client.stream("GET", path) as response:
                if response.status_code >= 400:
                    response.read()
                raise_for_envelope(response)
                yield response
        except httpx.TransportError as exc:
            raise self._offline(exc) from exc

    def events(self, run_id: str, last_event_id: str | None = None) -> Iterator[Event]:
        """The run's Server-Sent Events until its final one. A dropped stream is opened
        again from the last event seen (Last-Event-ID), so nothing is missed or repeated."""
        from httpx_sse import connect_sse

        last = last_event_id
        failing_since: float | None = None
        while True:
            headers = {"Last-Event-ID": last} if last else {}
            try:
                with connect_sse(
                    self.client,
                    "GET",
                    f"/v1/runs/{run_id}/events",
                    headers=headers,
                    timeout=httpx.Timeout(10.0, read=None),
                ) as source:
                    if source.response.status_code >= 400:
                        source.response.read()
                    raise_for_envelope(source.response)
                    failing_since = None
                    for sse in source.iter_sse():
                        if sse.id:
                            last = sse.id
                        if not sse.data:
                            continue
                        yield Event(sse.id or None, sse.event, json.loads(sse.data))
                        if sse.event.startswith("run.") and sse.event in _FINAL:
                            return
            except httpx.TransportError as exc:
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > RECONNECT_SECONDS:
                    raise self._offline(exc) from exc
                _pause(1.0)
                continue
            # The server closed the stream without a final event: it may be restarting.
            _pause(0.5)


_FINAL = {"run.succeeded", "run.failed", "run.canceled"}


@contextmanager
def connect(server: str | Settings | None = None, override: str | None = None) -> Iterator[Api]:
    """``connect(server)``. The settings are read only when needed (no ``--server`` and no
    REELFORGE_SERVER, or no REELFORGE_API_KEY); ``connect(settings, server)``, the older
    form other command modules may still use, works too."""
    settings: Settings | None = None
    if server is not None and not isinstance(server, str):
        settings, server = server, override
    if settings is None and not (server or os.environ.get("REELFORGE_SERVER")):
        settings = _settings()
    key = api_key(settings)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(
        base_url=server_url(settings, server), headers=headers, timeout=120
    ) as client:
        yield Api(client)
