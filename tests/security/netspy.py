"""Records every name lookup and every outgoing connection the process attempts, and lets
none through: the socket-level check of the SSRF suite (a refusal must come before any
connection, and a non-http scheme before any lookup).

Names ending in ``.loopback.test`` resolve to 127.0.0.1 (and ``.private.test`` to
10.0.0.7), as a hostile DNS would answer, ``localhost`` to 127.0.0.1, ``.public.test`` to a
public address until ``spy.names`` is changed (a rebinding DNS); every other name fails. The
in-process (ASGI) client the tests use opens no socket, so any attempt is the server's.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

NAMES = {
    ".loopback.test": "127.0.0.1",
    ".private.test": "10.0.0.7",
    "localhost": "127.0.0.1",
    ".public.test": "93.184.216.34",
}


@dataclass
class NetSpy:
    lookups: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=lambda: dict(NAMES))

    def clear(self) -> None:
        self.lookups.clear()
        self.connects.clear()


def _answer(names: dict[str, str], host: str, port: Any) -> list[Any]:
    for suffix, address in names.items():
        if host.lower().rstrip(".").endswith(suffix):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@contextmanager
def spy_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetSpy]:
    spy = NetSpy()

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        spy.lookups.append(name)
        return _answer(spy.names, name, port)

    async def loop_getaddrinfo(_self: Any, host: Any, port: Any, *a: Any, **k: Any) -> Any:
        return getaddrinfo(host, port)

    def refuse(where: str) -> Any:
        def connect(*args: Any, **kwargs: Any) -> Any:
            target = next((a for a in args[1:] if a is not None), kwargs.get("host"))
            spy.connects.append(f"{where}:{target}")
            raise ConnectionRefusedError(f"netspy: connection to {target} refused")

        return connect

    async def async_refuse(*args: Any, **kwargs: Any) -> Any:
        return refuse("async")(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", loop_getaddrinfo)
    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "create_connection", async_refuse)
    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "sock_connect", async_refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse("socket"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket"))
    yield spy
