"""A long-running process caps glibc's malloc arenas (issue 25: each new thread's arena kept
its peak for good), unless the deployment chose with MALLOC_ARENA_MAX, or libc is not glibc."""

from __future__ import annotations

import ctypes
import platform
from typing import Any

import pytest

from reelforge.cli import loop


class _Libc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return 1


def _fake_libc(monkeypatch: pytest.MonkeyPatch) -> _Libc:
    libc = _Libc()

    def cdll(name: str, *_: Any, **__: Any) -> _Libc:
        assert name
        return libc

    monkeypatch.setattr(ctypes, "CDLL", cdll)
    monkeypatch.setattr(platform, "libc_ver", lambda *a, **k: ("glibc", "2.36"))
    return libc


def test_the_arenas_are_capped_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    libc = _fake_libc(monkeypatch)
    assert loop.limit_malloc_arenas() is True
    assert libc.calls == [(loop.M_ARENA_MAX, loop.MALLOC_ARENAS)]


def test_an_explicit_malloc_arena_max_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    libc = _fake_libc(monkeypatch)
    assert loop.limit_malloc_arenas() is False and libc.calls == []


def test_nothing_is_set_where_libc_is_not_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    libc = _fake_libc(monkeypatch)
    monkeypatch.setattr(platform, "libc_ver", lambda *a, **k: ("", ""))  # musl, macOS
    assert loop.limit_malloc_arenas() is False and libc.calls == []


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_glibc_takes_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert loop.limit_malloc_arenas() is True  # the real mallopt answers 1 when it took it
