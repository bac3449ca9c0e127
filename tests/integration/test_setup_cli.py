"""``reelforge setup ...`` as a client of a real served ReelForge (sandbox)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reelforge.cli.main import app
from tests.integration.cli_server import Served, served


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(tmp_path_factory.mktemp("setup-cli") / "home") as s:
        yield s


@pytest.fixture
def cli(server: Served, tmp_path: Path) -> Any:
    env = {**server.env(), "REELFORGE_HOME": str(tmp_path / "untouched"), "COLUMNS": "200"}

    def invoke(*args: str, code: int = 0, stdin: str | None = None) -> Any:
        result = CliRunner().invoke(app, list(args), env=env, input=stdin)
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


def test_healthcheck_table_and_json(cli: Any) -> None:
    table = cli("setup", "healthcheck").stdout
    for expected in ("healthcheck", "comfyui", "not_installed", "runway", "connected (sandbox)"):
        assert expected in table
    assert "ffmpeg" in table and "data_dir" in table
    data = json.loads(cli("setup", "healthcheck", "--cached", "--json").stdout)
    assert data["cached"] is True and data["providers"]


def test_diagnostics_saved_to_a_file(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "diag.json"
    out = cli("setup", "diagnostics", "-o", str(target)).stdout
    assert "diagnostics saved" in out
    doc = json.loads(target.read_text())
    assert {"system_info", "engines", "providers", "models_installed", "logs"} <= set(doc)


def test_connect_errors_are_clear(cli: Any, server: Served) -> None:
    bad = cli("setup", "connect", "runway", "--value", "token=abc", code=1)
    assert bad.exception.code == "CONTRACT_MISMATCH"
    assert bad.exception.detail["allowed"] == ["api_key"]
    none = cli("setup", "disconnect", "runway", code=1)
    assert none.exception.code == "NOT_FOUND"
    malformed = cli("setup", "connect", "runway", "--value", "novalue", code=1)
    assert "FIELD=VALUE" in malformed.exception.message


def test_connect_asks_for_the_fields_and_stores_nothing_unverified(
    cli: Any, server: Served
) -> None:
    # ComfyUI's one field is its address; nothing answers /system_stats at this one.
    result = cli("setup", "connect", "comfyui", stdin=f"{server.url}/nothing\n", code=1)
    assert "comfyui url" in result.output, "asked for the field"
    assert result.exception.code == "ENGINE_OFFLINE"
    assert "not stored" in result.exception.message
    assert result.exception.detail["stored"] is False


def test_engine_status_and_start_without_install(cli: Any) -> None:
    status = cli("setup", "engine", "status").stdout
    assert "comfyui: not_installed" in status and "REELFORGE_COMFYUI_DIR" in status
    start = cli("setup", "engine", "start", code=1)
    assert start.exception.code == "DEPENDENCY_MISSING"
    assert cli("setup", "engine", "logs", "--json").stdout.strip().startswith("{")
