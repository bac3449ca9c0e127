"""Browser tests of the web studio: a real `reelforge serve` (sandbox, own home, free port)
driven by Playwright with Debian's Chromium (no browser download).

Fixtures (WEBCONTRACT.md): `studio` (the server: base URL, home, owner key) and
`page_signed_in` (a page signed in through the printed login URL). Every page records its
console errors and failed requests; `shot(page, name)` saves a screenshot under the
test output (printed at the end, and copied to $REELFORGE_SHOTS_DIR when set).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST = ROOT / "src" / "reelforge" / "web_dist"
CHROMIUM = os.environ.get("REELFORGE_CHROMIUM", "/usr/bin/chromium")

if not Path(CHROMIUM).exists():  # pragma: no cover - CI has it
    pytest.skip(
        f"Chromium not found at {CHROMIUM} (apt-get install chromium)", allow_module_level=True
    )

playwright_sync = pytest.importorskip("playwright.sync_api", reason="pip install playwright")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bundle_is_stale() -> bool:
    index = DIST / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    sources = [p for p in (WEB / "src").rglob("*") if p.is_file()]
    sources += [WEB / "index.html", WEB / "vite.config.ts", WEB / "package-lock.json"]
    return any(p.stat().st_mtime > built for p in sources if p.exists())


def ensure_bundle() -> None:
    """Build web/ when the bundle is missing or older than its sources (needs npm)."""
    if not _bundle_is_stale():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("The web bundle is not built and npm is missing: run ./scripts/serve once")
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
        import json

        return str(json.loads(out.stdout)["url"])


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    ensure_bundle()
    home = tmp_path_factory.mktemp("studio-home")
    port = _free_port()
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
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelforge.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=home,
    )
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
        proc.kill()
        raise RuntimeError("no login URL printed:\n" + "".join(log))
    # Keep draining the output so the server never blocks on a full pipe.
    import threading

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.append(line)

    threading.Thread(target=drain, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    import httpx

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
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield b
        b.close()


@pytest.fixture(scope="session")
def signed_in_state(studio: Studio, browser: Any) -> dict[str, Any]:
    """Sign in once through the printed login URL; later pages reuse the session cookie."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(studio.login_url)
    page.wait_for_url(re.compile(r"/studio"))
    state: dict[str, Any] = ctx.storage_state()
    ctx.close()
    assert any(c["name"] == "rf_session" for c in state["cookies"]), state
    return state


class PageLog:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.failed: list[str] = []

    def attach(self, page: Any) -> None:
        def on_console(msg: Any) -> None:
            if msg.type == "error":
                self.errors.append(f"console: {msg.text} @ {msg.location}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

        def on_response(resp: Any) -> None:
            if resp.status >= 500 or (resp.status == 404 and "/assets/" in resp.url):
                self.failed.append(f"{resp.status} {resp.request.method} {resp.url}")

        page.on("response", on_response)


@pytest.fixture
def page_signed_in(browser: Any, studio: Studio, signed_in_state: dict[str, Any]) -> Iterator[Any]:
    ctx = browser.new_context(
        storage_state=signed_in_state,
        base_url=studio.url,
        viewport={"width": 1440, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    log = PageLog()
    log.attach(page)
    page.rf_log = log  # type: ignore[attr-defined]
    yield page
    ctx.close()


SHOTS: list[Path] = []


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("studio-shots")


@pytest.fixture
def shot(shots_dir: Path):  # type: ignore[no-untyped-def]
    def take(page: Any, name: str, full_page: bool = False) -> Path:
        path = shots_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        SHOTS.append(path)
        extra = os.environ.get("REELFORGE_SHOTS_DIR")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path

    return take


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SHOTS:
        terminalreporter.write_line(f"studio screenshots: {SHOTS[0].parent} ({len(SHOTS)} files)")
