"""The CLI as a client of a real served ReelForge (sandbox): runs, artifacts, credits, models.

One server for the module (it starts in about a second); each test makes its own runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from reelforge.cli.main import app
from tests.integration.cli_server import Served, served

MODEL = "fal/flux-dev"
SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(tmp_path_factory.mktemp("cli") / "home") as s:
        yield s


@pytest.fixture
def cli(server: Served, tmp_path: Path) -> Any:
    """Invoke the CLI in-process; REELFORGE_HOME points at a directory that must stay absent."""
    env = {**server.env(), "REELFORGE_HOME": str(tmp_path / "untouched")}

    def invoke(*args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


def _json(result: Any) -> Any:
    return json.loads(result.stdout)


def _default_sigint() -> None:
    # A runner started as a background job of a shell without job control ignores SIGINT,
    # and a child inherits that: Python then never raises KeyboardInterrupt. The CLI under
    # test gets Ctrl-C as a terminal's process would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _subprocess_env(server: Served, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        **server.env(),
        "PYTHONPATH": SRC,
        "REELFORGE_HOME": str(tmp_path / "untouched"),
        "COLUMNS": "80",
        "REELFORGE_NO_PLUGINS": "1",
    }


def _generate(cli: Any, *extra: str) -> dict[str, Any]:
    return _json(cli("generate", "--model", MODEL, "--prompt", "a red fox", "--json", *extra))


def test_generate_saves_output_with_extension_from_media_type(cli: Any, tmp_path: Path) -> None:
    body = _generate(cli, "-o", str(tmp_path / "fox"))
    assert body["status"] == "succeeded"
    saved = Path(body["outputs"][0]["output"])
    assert saved.parent == tmp_path and saved.stem == "fox" and saved.suffix in (".jpg", ".png")
    assert saved.read_bytes()[:3] in (b"\xff\xd8\xff", b"\x89PN")
    assert not (tmp_path / "untouched").exists()


def test_artifacts_get_to_directory_and_file(cli: Any, server: Served, tmp_path: Path) -> None:
    artifact = _generate(cli)["artifact_id"]
    content = httpx.get(
        f"{server.url}/v1/artifacts/{artifact}/content",
        headers={"Authorization": f"Bearer {server.key}"},
    )
    disposition = content.headers["content-disposition"]
    assert disposition.startswith("inline; filename=") and artifact in disposition

    into_dir = _json(cli("artifacts", "get", artifact, "-o", str(tmp_path), "--json"))
    assert Path(into_dir["output"]).parent == tmp_path
    assert Path(into_dir["output"]).name in disposition
    new_dir = _json(cli("artifacts", "get", artifact, "-o", f"{tmp_path}/new/", "--json"))
    assert Path(new_dir["output"]).parent == tmp_path / "new"
    assert Path(into_dir["output"]).read_bytes() == content.content

    named = _json(cli("artifacts", "get", artifact, "-o", str(tmp_path / "pic"), "--json"))
    assert Path(named["output"]).name.startswith("pic.") and Path(named["output"]).suffix
    assert Path(named["output"]).stat().st_size == into_dir["size"]


def test_runs_list_show_rerun_watch(cli: Any, server: Served) -> None:
    first = _generate(cli)
    listed = _json(cli("runs", "list", "--json"))
    assert first["run_id"] in [r["id"] for r in listed["runs"]]

    shown = _json(cli("runs", "show", first["run_id"], "--json"))
    assert shown["status"] == "succeeded" and shown["steps"][0]["model"] == MODEL

    again = _json(cli("runs", "rerun", first["run_id"], "--json"))
    assert again["run_id"] != first["run_id"] and again["status"] == "succeeded"
    documents = [
        httpx.get(
            f"{server.url}/v1/runs/{run}/pipeline",
            headers={"Authorization": f"Bearer {server.key}"},
        ).json()["pipeline"]
        for run in (first["run_id"], again["run_id"])
    ]
    assert documents[0] == documents[1] and documents[0]["nodes"][0]["prompt"] == "a red fox"

    watched = cli("runs", "watch", first["run_id"])
    assert f"gen: {first['artifact_id']}" in watched.stdout


def test_runs_cancel_of_a_stuck_run(cli: Any, server: Served) -> None:
    server.fault("fal", kind="stuck", on="submit", times=1)
    started = httpx.post(
        f"{server.url}/v1/generations",
        json={"model": MODEL, "prompt": "never ends"},
        headers={"Authorization": f"Bearer {server.key}"},
    ).json()
    canceled = _json(cli("runs", "cancel", started["id"], "--json"))
    assert canceled["status"] in ("canceling", "canceled")


def test_unknown_run_is_a_clear_error(cli: Any) -> None:
    result = cli("runs", "show", "run_nope", code=1)
    assert result.exception.code == "NOT_FOUND"


def test_credits_balance_ledger_plans(cli: Any) -> None:
    wallet = _json(cli("credits", "--json"))
    assert wallet["balance"]["micros"] >= 0 and wallet["plan"]["id"]
    ledger = _json(cli("credits", "ledger", "--json", "--limit", "5"))
    assert ledger["entries"] and len(ledger["entries"]) <= 5
    plans = _json(cli("credits", "plans", "--json"))
    assert any(p["is_default"] for p in plans)
    table = cli("credits", "plans")
    assert wallet["plan"]["name"] in table.stdout


def test_models_list_and_show_through_the_server(cli: Any, tmp_path: Path) -> None:
    body = _json(cli("models", "list", "--mode", "i2v", "--json"))
    assert body["count"] > 50 and all("i2v" in m["modes"] for m in body["models"])
    shown = _json(cli("models", "show", "atlas/google/nano-banana/edit", "--json"))
    assert shown["modes"] == ["i2i"]
    table = cli("models", "list", "--mode", "v2v", "-q", "lucy")
    assert "lucy-edit-pro" in table.stdout and "unknown" in table.stdout
    missing = cli("models", "show", "atlas/google/nano-banana/edt", code=1)
    assert missing.exception.code == "NOT_FOUND"
    assert "atlas/google/nano-banana/edit" in missing.exception.detail["close_matches"]
    assert not (tmp_path / "untouched").exists()


_MODULES = "[m for m in ('numpy', 'av', 'sqlalchemy', 'reelforge.engine') if m in sys.modules]"


def test_models_list_process_opens_no_database_and_makes_no_home(
    server: Served, tmp_path: Path
) -> None:
    script = (
        "import sys\nfrom reelforge.cli.main import app\n"
        "try:\n    app(['models', 'list', '--json'])\nexcept SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        f"print({_MODULES}, file=sys.stderr)\n"
    )
    env = _subprocess_env(server, tmp_path)
    env.pop("REELFORGE_SERVER")  # the server from settings: host and port
    host, port = server.url.removeprefix("http://").split(":")
    env |= {"REELFORGE_HOST": host, "REELFORGE_PORT": port}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["count"] > 0
    assert done.stderr.strip().splitlines()[-1] == "[]"
    assert not (tmp_path / "untouched").exists()


def test_piped_output_is_plain_lines_within_80_columns(server: Served, tmp_path: Path) -> None:
    env = _subprocess_env(server, tmp_path)
    gen = subprocess.run(
        [sys.executable, "-m", "reelforge.cli.main", "generate", "--model", MODEL, "--prompt", "x"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert gen.returncode == 0, gen.stderr
    listing = subprocess.run(
        [sys.executable, "-m", "reelforge.cli.main", "runs", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    for out in (gen.stdout, listing.stdout):
        assert "\x1b" not in out and "\r" not in out
        assert all(len(line) <= 80 for line in out.splitlines())
    assert "succeeded" in gen.stdout and "quote $0.025" in gen.stdout
    assert "$0.025" in listing.stdout  # the price is whole, not cut to "$0.0…"


def test_ctrl_c_without_a_terminal_detaches_and_says_how_to_reattach(
    server: Served, tmp_path: Path
) -> None:
    server.fault("fal", kind="stuck", on="submit", times=1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelforge.cli.main", "generate", "--model", MODEL, "--prompt", "y"],
        env=_subprocess_env(server, tmp_path),
        preexec_fn=_default_sigint,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    run_id = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("run "):
            run_id = line.split()[1]
        if " submitted" in line:
            break
    assert run_id, "the run never started"
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert f"Detached from run {run_id}" in err and f"reelforge runs watch {run_id}" in err
    view = httpx.get(
        f"{server.url}/v1/runs/{run_id}", headers={"Authorization": f"Bearer {server.key}"}
    ).json()
    assert view["status"] == "running"  # detached: the run goes on
    httpx.post(
        f"{server.url}/v1/runs/{run_id}/cancel", headers={"Authorization": f"Bearer {server.key}"}
    )


def test_events_resume_after_last_event_id(
    server: Served, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reelforge.cli.client import connect

    monkeypatch.setenv("REELFORGE_API_KEY", server.key)
    run_id = _generate(cli)["run_id"]
    with connect(server.url) as api:
        everything = list(api.events(run_id))
        assert len(everything) >= 3 and everything[-1].type == "run.succeeded"
        resumed = list(api.events(run_id, last_event_id=everything[1].id))
    assert [e.id for e in resumed] == [e.id for e in everything[2:]]


def test_quote_says_unknown_never_zero(cli: Any, tmp_path: Path) -> None:
    known = _json(cli("quote", "--model", MODEL, "--prompt", "a fox", "--json"))
    assert known["total"]["known"] and known["total"]["micros"] == 25_000
    doc = tmp_path / "p.json"
    doc.write_text(
        json.dumps(
            {
                "nodes": [
                    {"id": "a", "model": MODEL, "prompt": "a fox"},
                    {"id": "b", "model": "fal/wan-i2v", "prompt": "the fox runs"},
                ],
                "edges": [{"from": "a", "to": "b"}],
            }
        )
    )
    table = cli("quote", str(doc))
    assert "≥ $0.025 + unknown" in table.stdout and "unknown" in table.stdout
    assert "$0\n" not in table.stdout


def _read_until(fd: int, needle: str, timeout: float = 60) -> str:
    import select

    seen = ""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"never saw {needle!r} in {seen[-500:]!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            seen += os.read(fd, 65536).decode(errors="replace")
    return seen


def test_ctrl_c_in_a_terminal_asks_and_cancels(server: Served, tmp_path: Path) -> None:
    import pty

    server.fault("fal", kind="stuck", on="submit", times=1)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelforge.cli.main", "generate", "--model", MODEL, "--prompt", "z"],
        env=_subprocess_env(server, tmp_path),
        preexec_fn=_default_sigint,
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(slave)
    try:
        shown = _read_until(master, "submitted")
        run_id = shown.split("run ", 1)[1].split()[0]
        proc.send_signal(signal.SIGINT)
        _read_until(master, "[c/d]")
        os.write(master, b"c\r")
        err = proc.communicate(timeout=30)[1]
    finally:
        os.close(master)
    assert proc.returncode == 130
    assert f"Canceled run {run_id}" in err
    view = httpx.get(
        f"{server.url}/v1/runs/{run_id}", headers={"Authorization": f"Bearer {server.key}"}
    ).json()
    assert view["status"] in ("canceling", "canceled")


def test_artifacts_show_and_providers_list(cli: Any) -> None:
    artifact = _generate(cli)["artifact_id"]
    shown = _json(cli("artifacts", "show", artifact, "--json"))
    assert shown["id"] == artifact and shown["sandbox"] is True
    table = cli("artifacts", "show", artifact)
    assert "sha256" in table.stdout and "sandbox result" in table.stdout
    providers = _json(cli("providers", "list", "--json"))
    assert providers["sandbox_mode"] is True
    assert any(p["name"] == "fal" for p in providers["providers"])


def test_runs_with_an_unknown_price_say_so_in_list_and_show(cli: Any, server: Served) -> None:
    pipeline = {
        "nodes": [
            {"id": "still", "model": MODEL, "prompt": "a lighthouse"},
            {"id": "motion", "model": "fal/wan-i2v", "prompt": "waves"},
        ],
        "edges": [{"from": "still", "to": "motion"}],
    }
    run = httpx.post(
        f"{server.url}/v1/runs",
        json={"pipeline": pipeline},
        headers={"Authorization": f"Bearer {server.key}"},
    ).json()
    assert run["price_unknown"] is True, run
    listing = cli("runs", "list", "--limit", "3")
    assert "≥ $0.025 + unknown" in listing.stdout
    assert all(len(line) <= 80 for line in listing.stdout.splitlines())
    shown = cli("runs", "show", run["id"])
    assert "quote ≥ $0.025 + unknown" in shown.stdout


def test_planner_warnings_in_the_answer_are_shown(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's answer may carry ``warnings`` (the planner's); the CLI shows them."""
    from reelforge.api.routes import generations

    real = generations.created_view

    async def with_warning(*args: Any, **kwargs: Any) -> dict[str, Any]:
        answer = await real(*args, **kwargs)
        answer["warnings"] = [{"node": "gen", "message": "ignores incoming media"}]
        return answer

    monkeypatch.setattr(generations, "created_view", with_warning)
    shown = cli("generate", "--model", MODEL, "--prompt", "a fox")
    assert "warning: gen: ignores incoming media" in shown.output
    as_json = _generate(cli)
    assert as_json["warnings"] == [{"node": "gen", "message": "ignores incoming media"}]
