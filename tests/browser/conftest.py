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
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.studio_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Studio,
    ensure_bundle,
    serve,
)

__all__ = ["Studio"]

try:
    from playwright import sync_api as playwright_sync
except ImportError:  # pragma: no cover - a dev dependency
    playwright_sync = None  # type: ignore[assignment]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():  # pragma: no cover - CI installs it (scripts/browser-deps.sh)
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if playwright_sync is None:  # pragma: no cover
        return "pip install playwright"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest can't skip itself at import: skip the browser tests it collected instead.
    # A missing browser fails the tests (the `browser` fixture says what to install), so an
    # install step that did not run cannot pass as a skip; REELFORGE_SKIP_BROWSER_TESTS=1
    # skips them on purpose on a machine without Chromium.
    reason = _missing()
    if reason is None or os.environ.get("REELFORGE_SKIP_BROWSER_TESTS") != "1":
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    try:
        ensure_bundle()
    except RuntimeError as e:
        pytest.fail(str(e))
    with serve(tmp_path_factory.mktemp("studio-home")) as s:
        yield s


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing is not None:
        pytest.fail(
            f"browser tests need Chromium and Playwright: {missing} (scripts/browser-deps.sh)"
        )
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
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
            # A missing bundle file (hashed /assets/...), not an API 404 such as /v1/assets/...
            missing_file = resp.status == 404 and urlsplit(resp.url).path.startswith("/assets/")
            if resp.status >= 500 or missing_file:
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
