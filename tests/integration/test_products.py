"""REELFORGE_APPS (api/products.py, settings.KNOWN_APPS): a product switched off is gone
from the API and from ``GET /v1/apps`` (which the web shell lists and routes by), and an
unknown name stops the start with the names that exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute

from reelforge.api.products import PRODUCTS
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.settings import KNOWN_APPS, Settings
from tests.conftest import make_settings


def test_every_product_is_a_known_name() -> None:
    assert set(PRODUCTS) == set(KNOWN_APPS)


def test_an_unknown_name_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_APPS", "market, asets,nope")
    with pytest.raises(ReelForgeError) as err:
        Settings(_env_file=None)
    e = err.value
    assert e.code is ErrorCode.VALIDATION_ERROR
    assert e.detail == {
        "setting": "REELFORGE_APPS",
        "unknown": ["asets", "nope"],
        "known": ["market", "series", "assets"],
    }
    assert "asets, nope" in e.message and "market, series, assets" in e.message
    assert any("REELFORGE_APPS=" in step for step in e.remediation)


def test_names_are_trimmed_lowercased_and_empty_is_the_core_alone(tmp_path: Path) -> None:
    s = make_settings(tmp_path, apps=" Market ,assets,, assets ")
    assert s.apps == "market,assets" and s.enabled_apps == {"market", "assets"}
    assert make_settings(tmp_path, apps="").enabled_apps == set()
    assert make_settings(tmp_path).enabled_apps == set(KNOWN_APPS)


def test_serve_stops_at_start_with_the_error_not_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REELFORGE_", "SSL_CERT"))}
    env.update(REELFORGE_HOME=str(tmp_path / "home"), REELFORGE_APPS="series,marketplace")
    done = subprocess.run(
        [sys.executable, "-c", "from reelforge.cli.main import main; main()", "serve"],
        cwd=tmp_path,  # no .env of the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "VALIDATION_ERROR" in done.stderr and "marketplace" in done.stderr
    assert "market, series, assets" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "home").exists()  # stopped before touching anything


def _product_paths(name: str) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for router in PRODUCTS[name]()
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


@pytest.fixture(params=KNOWN_APPS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """conftest's ``client`` on a server with one product (the param) switched off."""
    return make_settings(tmp_path / "home", apps=",".join(_on(request.param)))


def _on(off: str) -> list[str]:
    return [name for name in KNOWN_APPS if name != off]


async def test_a_product_switched_off_is_gone(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    (off,) = set(KNOWN_APPS) - settings.enabled_apps
    on = _on(off)
    listed = await client.get("/v1/apps", headers={"Authorization": ""})
    assert listed.status_code == 200 and listed.json() == {"apps": on}
    documented = set((await client.get("/openapi.json")).json()["paths"])
    for name in on:  # the others are all there
        assert {path for _, path in _product_paths(name)} <= documented, name
    gone = _product_paths(off)
    assert gone and not {path for _, path in gone} & documented
    for method, path in sorted(gone):
        r = await client.request(method, _fill(path), json={} if method != "GET" else None)
        assert r.status_code == 404, (method, path, r.text[:200])
        assert r.json()["error"]["code"] == "NOT_FOUND", (method, path)
