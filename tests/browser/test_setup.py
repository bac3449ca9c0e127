"""The setup hub in a real browser: a bad key shows AUTH_FAILED on its card, a good key
connects with its balance, the healthcheck matrix renders, Export Diagnostics downloads a
file without the key, and the add-source form holds its safety gates.

Connecting stores a key that then goes live, so these tests use their own studio (not the
shared one) whose Runway base URL points at Runway's emulator on 127.0.0.1: it accepts
only its sandbox key and refuses others with 401, as Runway does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.runway import create_app
from reelforge.emulators.runway.app import SANDBOX_KEY
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PageLog, Studio, ensure_bundle
from tests.helpers import free_port, serve_asgi

BAD_KEY = "key_" + "0f" * 64


def _start_studio(home: Path, extra_env: dict[str, str]) -> Studio:
    port = free_port()
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
        **extra_env,
    }
    for k in [k for k in env if k.endswith(("_API_KEY", "_KEY", "_TOKEN", "_SECRET"))]:
        env.pop(k)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelforge.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=home,
    )
    assert proc.stdout is not None
    log: list[str] = []
    login = ""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not login:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError("reelforge serve exited:\n" + "".join(log))
        log.append(line)
        m = re.search(r"Studio: (http://\S+/login\?token=\S+)", line)
        login = m.group(1) if m else ""
    if not login:
        proc.kill()
        raise RuntimeError("no login URL printed:\n" + "".join(log))

    def drain() -> None:
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
        time.sleep(0.1)
    key = (home / "owner.key").read_text().strip()
    return Studio(url=url, home=home, key=key, login_url=login, process=proc, log=log)


@pytest.fixture(scope="module")
def setup_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    ensure_bundle()
    with serve_asgi(create_app(EmulatorConfig())) as runway_url:
        urls = json.dumps({"runway": runway_url})
        studio = _start_studio(
            tmp_path_factory.mktemp("setup-home"), {"REELFORGE_PROVIDER_BASE_URLS": urls}
        )
        yield studio
        studio.process.terminate()
        try:
            studio.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            studio.process.kill()


@pytest.fixture(scope="module")
def setup_state(setup_studio: Studio, browser: Any) -> dict[str, Any]:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(setup_studio.login_url)
    page.wait_for_url(re.compile(r"/studio"))
    state: dict[str, Any] = ctx.storage_state()
    ctx.close()
    return state


@pytest.fixture
def page(browser: Any, setup_studio: Studio, setup_state: dict[str, Any]) -> Iterator[Any]:
    ctx = browser.new_context(
        storage_state=setup_state,
        base_url=setup_studio.url,
        viewport={"width": 1440, "height": 900},
        accept_downloads=True,
    )
    ctx.set_default_timeout(30_000)  # a loaded CI machine: waits end as soon as the page is there
    p = ctx.new_page()
    log = PageLog()
    log.attach(p)
    p.rf_log = log
    yield p
    ctx.close()


def _unexpected(page: Any) -> list[str]:
    """Console errors, but the browser's own line for the refused key's expected 424."""
    return [e for e in page.rf_log.errors if not ("status of 424" in e and "/connect" in e)]


def _open_setup(page: Any) -> None:
    page.goto("/setup")
    page.get_by_role("heading", name="Setup", level=1).wait_for()
    page.get_by_role("region", name="Runway").wait_for()
    page.get_by_role("table", name="Healthcheck matrix").wait_for()


def _runway_card(page: Any) -> Any:
    return page.get_by_role("region", name="Runway")


def test_bad_then_good_key_on_a_provider_card(page: Any, setup_studio: Studio, shot: Any) -> None:
    _open_setup(page)
    shot(page, "setup-top")
    assert_accessible(page)
    card = _runway_card(page)
    test = card.get_by_role("button", name="Test connection")
    test.click()  # no key typed: checks the credential in use (the sandbox emulator)
    card.get_by_role("status").filter(has_text="answered with the sandbox emulator").wait_for()
    key = card.get_by_label("API key")
    assert key.get_attribute("type") == "password", "the key is masked"

    key.fill(BAD_KEY)
    test.click()
    alert = card.get_by_role("alert")
    alert.wait_for()
    text = alert.inner_text()
    assert "AUTH_FAILED" in text, text
    assert "rejected the API key" in text and "not stored" in text, text  # the message
    assert "copy it again from the provider's dashboard" in text, text  # the remediation
    assert BAD_KEY not in page.locator("body").inner_text()
    expect(card.get_by_text("Error", exact=True)).to_be_visible()
    card.scroll_into_view_if_needed()
    shot(page, "setup-auth-failed")
    # The refused key was not stored: the card still runs on the sandbox.
    providers = setup_studio.api("GET", "/v1/providers")["providers"]
    assert next(p for p in providers if p["name"] == "runway")["credential_source"] == "sandbox"

    key.fill(SANDBOX_KEY)
    test.click()
    card.get_by_role("status").filter(has_text="Connected to Runway").wait_for()
    card.get_by_text("Connected", exact=True).wait_for()
    expect(card.get_by_test_id("balance")).to_have_text("100,000 credits")
    expect(card.get_by_role("alert")).to_have_count(0)  # the old error is gone
    assert SANDBOX_KEY not in page.locator("body").inner_text()
    # The matrix shows the stored key at once.
    matrix = page.get_by_role("table", name="Healthcheck matrix")
    runway_row = matrix.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Runway"))
    runway_row.get_by_text("your stored key").wait_for()
    expect(runway_row).to_contain_text("100,000 credits")
    card.scroll_into_view_if_needed()
    shot(page, "setup-connected")
    assert_accessible(page)
    assert not _unexpected(page), page.rf_log.errors


def test_healthcheck_matrix_and_diagnostics_without_the_key(
    page: Any, setup_studio: Studio, shot: Any
) -> None:
    setup_studio.api(
        "POST", "/v1/setup/providers/runway/connect", json={"values": {"api_key": SANDBOX_KEY}}
    )
    _open_setup(page)
    matrix = page.get_by_role("table", name="Healthcheck matrix")
    for group in ("Engines", "Providers", "Optional tools", "System"):
        assert matrix.get_by_role("rowheader", name=re.compile(f"^{group}")).is_visible()
    for component in ("ComfyUI (local)", "Runway", "Kling AI", "Disk space (data directory)"):
        assert matrix.get_by_role("rowheader", name=component, exact=True).count() == 1
    assert matrix.get_by_role("row").count() > 20
    matrix.scroll_into_view_if_needed()
    shot(page, "setup-matrix")
    # Each provider row leads to its card.
    matrix.get_by_role("link", name="Manage Runway").wait_for()
    matrix.get_by_role("link", name="Connect Kling AI").click()
    expect(page.get_by_role("region", name="Kling AI")).to_be_in_viewport()
    page.get_by_role("region", name="ComfyUI (local)").scroll_into_view_if_needed()
    shot(page, "setup-engines")

    with page.expect_download() as info:
        page.get_by_role("button", name="Export diagnostics").click()
    download = info.value
    assert re.fullmatch(r"reelforge-diagnostics-\d{8}T\d{6}Z\.json", download.suggested_filename)
    body = Path(download.path()).read_text(encoding="utf-8")
    assert SANDBOX_KEY not in body and SANDBOX_KEY[4:20] not in body, "no key in the bundle"
    assert setup_studio.key not in body, "nor the owner's ReelForge key"
    document = json.loads(body)
    assert {"system_info", "engines", "providers", "logs"} <= set(document)
    page.get_by_role("status").filter(has_text="Saved reelforge-diagnostics-").wait_for()
    assert not page.rf_log.errors, page.rf_log.errors


def test_local_engine_card_and_source_safety_gates(page: Any, shot: Any) -> None:
    _open_setup(page)
    engine = page.get_by_role("region", name="ComfyUI (local)")
    engine.get_by_text("Not installed").wait_for()
    assert engine.get_by_role("button", name="Start", exact=True).is_disabled(), "nothing to start"
    engine.get_by_text("Logs").click()
    engine.get_by_text("The log is empty").wait_for()

    form = page.get_by_role("form", name="Add a model source")
    add = form.get_by_role("button", name="Add source")
    form.get_by_label("Model name").fill("My LoRA")
    form.get_by_label("Model type").select_option("lora")
    form.get_by_label("Download URL").fill("ftp://example.com/x.safetensors")
    form.get_by_label("Filename").fill("../x.safetensors")
    form.get_by_text("must start with http:// or https://").wait_for()
    form.get_by_text("no folders").wait_for()
    assert add.is_disabled()
    form.get_by_label("Download URL").fill("https://example.com/my-lora.safetensors")
    form.get_by_label("Filename").fill("my-lora.safetensors")
    form.get_by_label("License").select_option("Unknown")
    # No checksum and an unknown license: both acknowledgments are needed.
    risk = form.get_by_label(re.compile("at my own risk"))
    lic = form.get_by_label(re.compile("license is unknown"))
    form.get_by_text("I understand the risks").wait_for()
    expect(add).to_be_disabled()
    risk.check()
    expect(add).to_be_disabled()
    lic.check()
    expect(add).to_be_enabled()
    form.scroll_into_view_if_needed()
    shot(page, "setup-source-gates")
    assert_accessible(page)
    add.click()
    form.get_by_role("status").filter(has_text="Added “My LoRA”").wait_for()
    sources = page.get_by_role("table", name="Model sources")
    sources.get_by_role("rowheader", name=re.compile("^My LoRA")).wait_for()
    # No checksum: Download asks first; offline, the fetch fails and says why, with its code.
    sources.get_by_role("button", name="Download My LoRA").click()
    sources.get_by_role("button", name="Download unverified").click()
    failure = sources.get_by_role("alert")
    failure.wait_for()
    assert "UNSAFE_URL" in failure.inner_text() and "does not resolve" in failure.inner_text()
    page.get_by_role("region", name="Ethics & safety checklist").get_by_role(
        "checkbox"
    ).first.check()
    page.get_by_text("1 of 4").wait_for()
    assert not page.rf_log.errors, page.rf_log.errors
