"""``reelforge models list|show`` against the sandbox catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reelforge.cli.main import app
from reelforge.domain.errors import ErrorCode, ReelForgeError


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("REELFORGE_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("ATLASCLOUD_API_KEY", raising=False)


def test_list_by_mode_json() -> None:
    result = CliRunner().invoke(app, ["models", "list", "--mode", "i2v", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["count"] > 50 and all("i2v" in m["modes"] for m in body["models"])
    typical = [m["price"]["typical_micros"] for m in body["models"]]
    known = [t for t in typical if t is not None]
    assert known == sorted(known)
    assert typical[: len(known)] == known, "unknown prices come last"


def test_list_table() -> None:
    result = CliRunner().invoke(app, ["models", "list", "--mode", "v2v", "-q", "lucy"])
    assert result.exit_code == 0, result.output
    assert "lucy-edit-pro" in result.output and "unknown" in result.output


def test_show_json_and_table() -> None:
    model = "atlas/google/nano-banana/edit"
    result = CliRunner().invoke(app, ["models", "show", model, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["id"] == model and body["modes"] == ["i2i"]
    assert any(p["name"] == "images" and p["media_kind"] == "image" for p in body["params"])
    table = CliRunner().invoke(app, ["models", "show", model])
    assert "aspect_ratio" in table.output and "images (image)" in table.output


def test_show_unknown_model_fails_with_close_matches() -> None:
    result = CliRunner().invoke(app, ["models", "show", "atlas/google/nano-banana/edt"])
    assert result.exit_code != 0
    error = result.exception
    assert isinstance(error, ReelForgeError) and error.code is ErrorCode.NOT_FOUND
    assert "atlas/google/nano-banana/edit" in error.detail["close_matches"]
