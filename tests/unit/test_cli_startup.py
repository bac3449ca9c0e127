"""The CLI's root: lazy sub-commands, light imports, and how prices and warnings read."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from reelforge.cli.lazy import Lazy, LazyGroup
from reelforge.cli.live import RunState
from reelforge.cli.main import RootGroup, app
from reelforge.cli.output import price_text, show_warnings

SRC = str(Path(__file__).resolve().parents[2] / "src")
HEAVY = ("numpy", "av", "sqlalchemy", "pydantic", "httpx", "reelforge.settings", "reelforge.engine")


def _loaded_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nprint([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_importing_the_cli_imports_nothing_heavy() -> None:
    assert _loaded_after("import reelforge.cli.main") == []


@pytest.mark.parametrize(
    ("args", "allowed"),
    [(["--help"], []), (["version"], []), (["runs", "--help"], ["httpx"])],
)
def test_help_and_version_import_nothing_heavy(args: list[str], allowed: list[str]) -> None:
    code = (
        "from reelforge.cli.main import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit as e:\n    assert not e.code\n"
    )
    assert _loaded_after(code) == allowed


def test_help_lists_commands_from_their_names_alone() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("runs", "artifacts", "credits", "models", "generate", "media"):
        assert name in result.output


def test_users_and_keys_are_registered_by_name() -> None:
    assert RootGroup.LAZY["users"].target == "reelforge.cli.users:users_app"
    assert RootGroup.LAZY["keys"].target == "reelforge.cli.users:keys_app"


class _Group(LazyGroup):
    LAZY: ClassVar[dict[str, Lazy]] = {
        "gone": Lazy("reelforge.cli.not_written_yet:app", "Missing."),
        "ver": Lazy("reelforge.cli.main:version", "Show the version."),
    }


_demo = typer.Typer(cls=_Group, no_args_is_help=True)


@_demo.callback()
def _root() -> None:
    """Demo."""


def test_a_missing_module_is_left_out_and_answers_no_such_command() -> None:
    listing = CliRunner().invoke(_demo, ["--help"])
    assert listing.exit_code == 0 and "ver" in listing.output and "gone" not in listing.output
    missing = CliRunner().invoke(_demo, ["gone"])
    assert missing.exit_code == 2 and "No such command" in missing.output
    ran = CliRunner().invoke(_demo, ["ver", "--json"])
    assert ran.exit_code == 0 and json.loads(ran.output)["version"]


def test_unknown_prices_read_as_unknown_never_zero() -> None:
    assert price_text(25_000, known=False) == "≥ $0.025 + unknown"
    assert price_text(0, known=False) == "unknown"
    assert price_text(None, known=False) == "unknown"
    assert price_text(25_000) == "$0.025"
    assert price_text(0) == "$0"


def test_warnings_are_shown_whatever_their_shape(capsys: pytest.CaptureFixture[str]) -> None:
    show_warnings({"warnings": [{"node": "b", "message": "ignores incoming media"}, "plain text"]})
    show_warnings({"id": "run_x"})  # a server that sends none
    err = capsys.readouterr().err
    assert "warning: b: ignores incoming media" in err and "warning: plain text" in err


def _step(node: str, status: str, progress: float | None) -> dict[str, object]:
    return {
        "node_id": node,
        "model": "fal/flux-dev",
        "status": status,
        "progress": progress,
        "cost_micros": None,
    }


def test_the_live_view_shows_elapsed_time_and_a_bar_per_step() -> None:
    run = {
        "id": "run_1",
        "status": "running",
        "quote_micros": 25_000,
        "price_unknown": True,
        "created_at": (datetime.now(UTC) - timedelta(seconds=75)).isoformat(),
        "steps": [_step("a", "succeeded", None), _step("b", "collecting", 0.4)],
    }
    state = RunState(run)
    state.progress["b"] = 0.6  # a step.progress event newer than the view
    console = Console(width=80, record=True, force_terminal=True)
    console.print(state.render())
    text = console.export_text()
    assert "100%" in text and " 60%" in text
    assert "run run_1 · running · 1m15s" in text
    assert "quote ≥ $0.025 + unknown" in text
    assert all(len(line) <= 80 for line in text.splitlines())
