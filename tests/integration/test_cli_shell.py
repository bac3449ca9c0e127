from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reelforge.cli.main import app


def test_version_json() -> None:
    result = CliRunner().invoke(app, ["version", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["version"]


def test_db_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_HOME", str(tmp_path / "h"))
    result = CliRunner().invoke(app, ["db", "upgrade", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["revision"]
    assert (tmp_path / "h" / "reelforge.db").exists()
