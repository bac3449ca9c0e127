"""``reelforge runs list|show|logs|details|watch|cancel|rerun``."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from reelforge.cli.client import connect
from reelforge.cli.live import RunState, follow
from reelforge.cli.options import JsonOpt, OutputOpt, ServerOpt
from reelforge.cli.output import (
    console,
    emit_json,
    new_table,
    price_text,
    quote_text,
    show_warnings,
)
from reelforge.cli.runs import finish, start

runs_app = typer.Typer(help="List, show, watch, cancel and rerun runs.", no_args_is_help=True)
RunId = Annotated[str, typer.Argument(metavar="RUN_ID")]


@runs_app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many (newest first).")] = 20,
    before: Annotated[str | None, typer.Option(help="Older than this run id (paging).")] = None,
    status: Annotated[
        str | None, typer.Option(help="queued, running, succeeded, failed, canceled ...")
    ] = None,
    preset: Annotated[str | None, typer.Option(help="Runs of this preset.")] = None,
    model: Annotated[str | None, typer.Option(help="Runs with a step on this model.")] = None,
    provider: Annotated[str | None, typer.Option(help="Runs with a step on this provider.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Created at or after (ISO date or time, UTC).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Created before (ISO date or time, UTC).")
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Text in the prompts or preset.")
    ] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Your runs, newest first, narrowed by any of the filters."""
    params: dict[str, Any] = {"limit": limit}
    wanted = {
        "before": before,
        "status": status,
        "preset": preset,
        "model": model,
        "provider": provider,
        "created_after": since,
        "created_before": until,
        "q": query,
    }
    params.update({k: v for k, v in wanted.items() if v is not None})
    with connect(server) as api:
        page = api.request("GET", "/v1/runs", params=params)
    if as_json:
        emit_json(page)
        return
    table = new_table(f"{len(page['runs'])} runs")
    table.add_column("id", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("engine", overflow="fold")
    table.add_column("quote", no_wrap=True, justify="right")
    table.add_column("cost", no_wrap=True, justify="right")
    table.add_column("created", no_wrap=True)
    for run in page["runs"]:
        created = str(run.get("created_at") or "")[5:16].replace("T", " ")
        engines = ", ".join(e["model"] for e in run.get("engine_used") or ())
        state = run["status"] + (f" {run['error_code']}" if run.get("error_code") else "")
        table.add_row(
            run["id"], state, engines, quote_text(run), price_text(run["cost_micros"]), created
        )
    console.print(table)
    if page.get("next_before"):
        console.print(f"more: reelforge runs list --before {page['next_before']}", highlight=False)


@runs_app.command("logs")
def logs(run_id: RunId, server: ServerOpt = None) -> None:
    """The run's log, one JSON object per line (redacted), for `jq` or a bug report."""
    # Streamed as it comes (not parsed as one JSON document: each line is one).
    with connect(server) as api, api.stream(f"/v1/runs/{run_id}/logs") as response:
        for chunk in response.iter_text():
            sys.stdout.write(chunk)


@runs_app.command("details")
def details(
    run_id: RunId,
    lines: Annotated[int, typer.Option(min=0, max=200, help="Log lines at the end.")] = 10,
    server: ServerOpt = None,
) -> None:
    """The "Copy details" text of a run: error, remediation, engines, cost, last log lines."""
    with connect(server) as api:
        body = api.request("GET", f"/v1/runs/{run_id}/details", params={"lines": lines})
    sys.stdout.write(body.decode() if isinstance(body, bytes) else str(body or ""))


@runs_app.command("show")
def show(run_id: RunId, server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """A run: its steps, progress, cost, warnings and error."""
    with connect(server) as api:
        run = api.request("GET", f"/v1/runs/{run_id}")
    if as_json:
        emit_json(run)
        return
    console.print(RunState(run).render())
    if run.get("preset"):
        asked = f"preset {run['preset']} ({run.get('quality') or 'standard'})"
        if run.get("repair_of"):
            asked += f" · repair of {run['repair_of']}"
        console.print(asked, highlight=False)
    show_warnings(run)
    for out in run.get("outputs") or ():
        console.print(f"output {out['node_id']}: {out['artifact_id']}", highlight=False)
    console.print(f"cost {price_text(run['cost_micros'])}", highlight=False)
    if run.get("error"):
        err = run["error"]
        console.print(f"[red]{err.get('code')}[/]: {err.get('message')}", highlight=False)


@runs_app.command("watch")
def watch(
    run_id: RunId, output: OutputOpt = None, server: ServerOpt = None, as_json: JsonOpt = False
) -> None:
    """Re-attach to a run's live view until it ends (Ctrl-C: cancel or detach)."""
    with connect(server) as api:
        run = api.request("GET", f"/v1/runs/{run_id}")
        if not as_json:
            show_warnings(run)
        run = follow(api, run, quiet=as_json, server=server)
        finish(api, run, as_json=as_json, output=output)


@runs_app.command("cancel")
def cancel(run_id: RunId, server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """Cancel a run: pending steps stop, tasks in flight are canceled, holds released."""
    with connect(server) as api:
        run = api.request("POST", f"/v1/runs/{run_id}/cancel")
    if as_json:
        emit_json(run)
        return
    console.print(f"run {run['id']} {run['status']}", highlight=False)


@runs_app.command("rerun")
def rerun(
    run_id: RunId, output: OutputOpt = None, server: ServerOpt = None, as_json: JsonOpt = False
) -> None:
    """Start the same pipeline again, as a new run, and follow it."""
    with connect(server) as api:
        pipeline = api.request("GET", f"/v1/runs/{run_id}/pipeline")["pipeline"]
        start(
            api, "/v1/runs", {"pipeline": pipeline}, server=server, as_json=as_json, output=output
        )
