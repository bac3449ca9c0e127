"""The CLI talks to a running ``reelforge serve`` over HTTP, as the owner (owner.key)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.settings import Settings


def server_url(settings: Settings, override: str | None = None) -> str:
    return (
        override or os.environ.get("REELFORGE_SERVER") or f"http://{settings.host}:{settings.port}"
    ).rstrip("/")


def api_key(settings: Settings) -> str:
    key = os.environ.get("REELFORGE_API_KEY")
    if key:
        return key.strip()
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
    except (ValueError, KeyError, TypeError):
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


class Api:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def request(self, method: str, path: str, **kw: Any) -> Any:
        try:
            response = self.client.request(method, path, **kw)
        except httpx.ConnectError as exc:
            raise ReelForgeError(
                ErrorCode.ENGINE_OFFLINE,
                f"Cannot reach ReelForge at {self.client.base_url}.",
                remediation=("Start it with `reelforge serve` (or ./scripts/serve).",),
            ) from exc
        raise_for_envelope(response)
        if response.status_code == 204 or not response.content:
            return None
        ctype = response.headers.get("content-type", "")
        return response.json() if "json" in ctype else response.content

    def events(self, run_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Server-Sent Events of a run as (event type, data)."""
        with self.client.stream("GET", f"/v1/runs/{run_id}/events", timeout=None) as response:
            raise_for_envelope(response)
            event, data = "message", ""
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif not line and data:
                    yield event, json.loads(data)
                    event, data = "message", ""


@contextmanager
def connect(settings: Settings, server: str | None = None) -> Iterator[Api]:
    headers = {"Authorization": f"Bearer {api_key(settings)}"}
    with httpx.Client(
        base_url=server_url(settings, server), headers=headers, timeout=120
    ) as client:
        yield Api(client)
