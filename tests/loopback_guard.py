"""No test reaches any address but this machine's (the project's rule: providers are
emulated on 127.0.0.1). Every socket connection the test process attempts to another
address is refused, as a network without a route would, and recorded; the test that
attempted it fails at its end, naming the address. Unix sockets and loopback (127/8,
::1, ::ffff:127.x) pass. Tests that spy on the network (tests/security/netspy.py) replace
``connect`` themselves while they run."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
attempts: list[str] = []


def _allowed(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # a Unix socket path (PostgreSQL, a local engine)
    host = str(address[0]).split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: connect() resolving it means a lookup went outside
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _refuse(address: Any) -> None:
    attempts.append(str(address))
    raise ConnectionRefusedError(f"tests reach only 127.0.0.1, not {address!r}")


def _connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address):
        _refuse(address)
    _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _allowed(address):
        _refuse(address)
    return _real_connect_ex(self, address)


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
