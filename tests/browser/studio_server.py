"""A real `reelforge serve` in sandbox for the browser tests and bench/bench_web.py.

No pytest here: the conftest wraps it in fixtures, the benchmark calls it directly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST = ROOT / "src" / "reelforge" / "web_dist"
CHROMIUM = os.environ.get("REELFORGE_CHROMIUM", "/usr/bin/chromium")
# Debian's Chromium, driven by executable_path (no browser download).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bundle_is_stale() -> bool:
    index = DIST / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    sources = [p for p in (WEB / "src").rglob("*") if p.is_file()]
    sources += [WEB / "index.html", WEB / "vite.config.ts", WEB / "package-lock.json"]
    return any(p.stat().st_mtime > built for p in sources if p.exists())


def ensure_bundle() -> None:
    """Build web/ when the bundle is missing or older than its sources (needs npm)."""
    if not bundle_is_stale():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "The web bundle is not built and npm is missing: run ./scripts/serve once"
        )
    if not (WEB / "node_modules").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    subprocess.run([npm, "run", "build"], cwd=WEB, check=True, stdout=subprocess.DEVNULL)


@dataclass
class Studio:
    url: str
    home: Path
    key: str
    login_url: str
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        r = httpx.request(
            method,
            self.url + path,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
            **kwargs,
        )
        r.raise_for_status()
        return r.json() if r.content else None

    def fresh_login_url(self) -> str:
        env = {**os.environ, "REELFORGE_HOME": str(self.home)}
        port = self.url.rsplit(":", 1)[1]
        out = subprocess.run(
            [sys.executable, "-m", "reelforge.cli.main", "login-url", "--port", port, "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return str(json.loads(out.stdout)["url"])


def _env(home: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "REELFORGE_HOME": str(home),
        "REELFORGE_HOST": "127.0.0.1",
        "REELFORGE_PORT": str(port),
        "REELFORGE_SANDBOX": "true",
        "REELFORGE_LOG_LEVEL": "WARNING",
        "REELFORGE_RATE_LIMIT_USER_PER_MINUTE": "0",
        "REELFORGE_RATE_LIMIT_KEY_PER_MINUTE": "0",
        "COLUMNS": "400",
    }
    for k in [k for k in env if k.endswith(("_API_KEY", "_KEY", "_TOKEN", "_SECRET"))]:
        env.pop(k)  # no real provider keys: everything is served by the sandbox
    return env


@contextmanager
def serve(home: Path) -> Iterator[Studio]:
    """`reelforge serve` in sandbox on a free loopback port, with its printed login URL."""
    import httpx

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelforge.cli.main", "serve", "--port", str(port)],
        env=_env(home, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=home,
    )
    try:
        log: list[str] = []
        login = ""
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                if proc.poll() is not None:
                    raise RuntimeError("reelforge serve exited:\n" + "".join(log))
                continue
            log.append(line)
            m = re.search(r"Studio: (http://\S+/login\?token=\S+)", line)
            if m:
                login = m.group(1)
                break  # printed just before uvicorn starts: /healthz is polled below
        if not login:
            raise RuntimeError("no login URL printed:\n" + "".join(log))

        def drain() -> None:  # keep reading so the server never blocks on a full pipe
            assert proc.stdout is not None
            for line in proc.stdout:
                log.append(line)

        threading.Thread(target=drain, daemon=True).start()
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("reelforge serve exited:\n" + "".join(log))
            time.sleep(0.1)
        key = (home / "owner.key").read_text().strip()
        yield Studio(url=url, home=home, key=key, login_url=login, process=proc, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
