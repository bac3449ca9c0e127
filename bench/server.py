"""Start ``reelforge serve`` as a real subprocess on a free loopback port for benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def reelforge_server(
    extra_env: dict[str, str] | None = None,
    *,
    base_env: dict[str, str] | None = None,
    command: list[str] | None = None,
) -> Iterator[tuple[str, str, Path, int]]:
    """Yields (base_url, owner_key, home, pid). ``command`` replaces the ``reelforge``
    executable (e.g. ``[python, -m, bench.traced_serve]``); ``serve --port N`` follows it."""
    with tempfile.TemporaryDirectory(prefix="rf-bench-") as tmp:
        home = Path(tmp) / "home"
        port = free_port()
        env = {
            **(os.environ if base_env is None else base_env),
            "REELFORGE_HOME": str(home),
            "REELFORGE_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        exe = command or [str(Path(sys.executable).with_name("reelforge"))]
        proc = subprocess.Popen(
            [*exe, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"server did not start: {err[-2000:]}")
                time.sleep(0.1)
            key = (home / "owner.key").read_text().strip()
            yield base, key, home, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
