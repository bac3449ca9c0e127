"""The history, gallery and analytics commands as clients of a served ReelForge (sandbox)."""

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
    with served(tmp_path_factory.mktemp("cli-history") / "home") as s:
        yield s


@pytest.fixture
def cli(server: Served, tmp_path: Path) -> Any:
    env = {**server.env(), "REELFORGE_HOME": str(tmp_path / "untouched"), "COLUMNS": "120"}

    def invoke(*args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


def _json(result: Any) -> Any:
    return json.loads(result.stdout)


def test_runs_list_filters_logs_and_details(cli: Any) -> None:
    fox = _json(cli("generate", "--model", "fal/flux-dev", "--prompt", "a fox", "--json"))
    owl = _json(cli("generate", "--model", "together/flux-1-dev", "--prompt", "an owl", "--json"))

    def listed(*flags: str) -> list[str]:
        return [r["id"] for r in _json(cli("runs", "list", "--json", *flags))["runs"]]

    assert listed("--model", "fal/flux-dev") == [fox["run_id"]]
    assert listed("--provider", "together") == [owl["run_id"]]
    assert listed("-q", "owl") == [owl["run_id"]]
    assert listed("--status", "succeeded", "--since", "2000-01-01") == [
        owl["run_id"],
        fox["run_id"],
    ]
    assert listed("--until", "2000-01-01") == []
    assert listed("--preset", "nothing_v1") == []
    table = cli("runs", "list", "--provider", "fal").stdout
    assert fox["run_id"] in table and "fal/flux-dev" in table
    bad = cli("runs", "list", "--status", "done", code=1)
    assert "VALIDATION_ERROR" in str(bad.exception)  # main() shows it as the envelope

    log = cli("runs", "logs", fox["run_id"]).stdout
    events = [json.loads(line)["event"] for line in log.splitlines()]
    assert events[0] == "run.created" and "run.succeeded" in events
    details = cli("runs", "details", fox["run_id"]).stdout
    assert f"Run ID: {fox['run_id']}" in details and "Engine: fal/flux-dev" in details


def test_artifacts_list_and_analytics(cli: Any) -> None:
    fox = _json(cli("generate", "--model", "fal/flux-dev", "--prompt", "a fox", "--json"))
    page = _json(cli("artifacts", "list", "--json", "--run", fox["run_id"]))
    assert [a["id"] for a in page["artifacts"]] == [fox["artifact_id"]]
    assert page["artifacts"][0]["thumbnail_url"].endswith("/thumbnail")
    assert _json(cli("artifacts", "list", "--json", "--kind", "audio"))["artifacts"] == []
    assert fox["artifact_id"] in cli("artifacts", "list", "--kind", "image").stdout

    usage = _json(cli("analytics", "usage", "--json", "--days", "7"))
    assert usage["ok"] is True and usage["data"]["runs"] >= 1
    assert "runs in 7 days" in cli("analytics", "usage", "--days", "7").stdout
    assert "in 30 days" in cli("analytics", "spend").stdout
    assert "fal/flux-dev" in cli("analytics", "providers", "--all").stdout
