"""The test suite's own guard (tests/loopback_guard.py): only this machine is reachable."""

from __future__ import annotations

import socket

import pytest

from tests import loopback_guard


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        (("127.0.0.1", 80), True),
        (("127.8.9.10", 80), True),
        (("::1", 80, 0, 0), True),
        (("::ffff:127.0.0.1", 80, 0, 0), True),
        ("/run/postgresql/.s.PGSQL.5432", True),
        (("192.0.2.1", 80), False),
        (("10.0.0.7", 80), False),
        (("::ffff:10.0.0.7", 80, 0, 0), False),
        (("2001:db8::1", 443, 0, 0), False),
        (("fal.run", 443), False),
    ],
)
def test_only_loopback_and_unix_sockets_pass(address: object, allowed: bool) -> None:
    assert loopback_guard._allowed(address) is allowed


def test_a_connection_outside_is_refused_before_it_is_attempted() -> None:
    before = len(loopback_guard.attempts)
    s = socket.socket()
    try:
        with pytest.raises(ConnectionRefusedError):
            s.connect(("192.0.2.1", 80))
    finally:
        s.close()
    assert loopback_guard.attempts[before:] == ["('192.0.2.1', 80)"]
    del loopback_guard.attempts[before:]  # this test's attempt was on purpose
