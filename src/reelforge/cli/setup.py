"""``reelforge setup healthcheck|connect|disconnect|diagnostics|engine ...``: the setup
hub from a terminal, through the server's /v1/setup (owner or admin key for changes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reelforge.cli.client import connect as connect_server
from reelforge.cli.options import JsonOpt, ServerOpt
from reelforge.cli.output import console, emit_json
from reelforge.domain.errors import ErrorCode, ReelForgeError

setup_app = typer.Typer(
    help="Setup hub: healthcheck, connect providers, local engines, diagnostics.",
    no_args_is_help=True,
)
engine_app = typer.Typer(help="A local engine you installed (comfyui).", no_args_is_help=True)
setup_app.add_typer(engine_app, name="engine")

EngineArg = Annotated[str, typer.Argument(help="The engine (comfyui).")]
WaitOpt = Annotated[bool, typer.Option("--wait/--no-wait", help="Wait until it answers.")]
COLORS = {
    "running": "green",
    "connected": "green",
    "ok": "green",
    "installed": "cyan",
    "starting": "yellow",
    "warning": "yellow",
    "not_connected": "dim",
    "not_installed": "dim",
    "none": "dim",
    "error": "red",
}


def _balance(value: Any) -> str:
    if isinstance(value, dict):
        amount = value.get("amount")
        return "-" if amount is None else f"{amount:g} {value.get('unit', '')}".strip()
    return str(value) if value else "-"


def _ago(stamp: str | None) -> str:
    if not stamp:
        return "-"
    then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    seconds = max(0, int((datetime.now(UTC) - then).total_seconds()))
    return f"{seconds}s ago" if seconds < 120 else f"{seconds // 60}m ago"


def show_matrix(data: dict[str, Any]) -> None:
    title = "healthcheck" + (" (last results)" if data.get("cached") else "")
    if "elapsed_ms" in data:
        title += f" in {data['elapsed_ms'] / 1000:.1f} s"
    table = Table(title=title)
    for col in ("", "id", "name", "status", "balance", "last check", "note"):
        table.add_column(col, overflow="fold")
    for section in ("engines", "providers", "tools", "system"):
        for row in data.get(section, []):
            status = row["status"]
            if row.get("sandbox"):
                status += " (sandbox)"
            note = row.get("error") or row.get("summary") or row.get("remediation") or ""
            color = COLORS.get(row["status"], "white")
            table.add_row(
                section,
                row["id"],
                row.get("name", ""),
                f"[{color}]{status}[/]",
                _balance(row.get("balance")) if section in ("engines", "providers") else "",
                _ago(row.get("last_check")),
                str(note),
            )
    console.print(table)


@setup_app.command("healthcheck")
def healthcheck(
    cached: Annotated[bool, typer.Option("--cached", help="The last results, no probing.")] = False,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every engine, provider, tool and system check, probed at once."""
    with connect_server(server) as api:
        data = api.request("GET", "/v1/setup/healthcheck", params={"fresh": not cached})
    if as_json:
        emit_json(data)
    else:
        show_matrix(data)


def _values(api: Any, name: str, given: list[str]) -> dict[str, str]:
    """``--value field=value`` pairs, else a hidden prompt for each of the provider's fields
    (so a key need not be typed where the shell history keeps it)."""
    values: dict[str, str] = {}
    for pair in given:
        field, sep, value = pair.partition("=")
        if not sep or not field:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"--value must be FIELD=VALUE, not {pair.split('=')[0]!r}...",
            )
        values[field.strip()] = value
    if values:
        return values
    providers = api.request("GET", "/v1/providers")["providers"]
    found = next((p for p in providers if p["name"] == name), None)
    if found is None:
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No provider {name!r}.")
    for field in found["credential_fields"]:
        values[field["name"]] = typer.prompt(
            f"{name} {field['name']}", hide_input=field["secret"], default="", show_default=False
        )
    return {k: v for k, v in values.items() if v}


@setup_app.command("connect")
def connect(
    name: Annotated[str, typer.Argument(help="The provider (see `reelforge providers list`).")],
    value: Annotated[
        list[str] | None,
        typer.Option("--value", "-v", help="FIELD=VALUE (repeatable); else you are asked."),
    ] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a key with the provider and store it (a refused key is not stored)."""
    with connect_server(server) as api:
        values = _values(api, name, value or [])
        data = api.request("POST", f"/v1/setup/providers/{name}/connect", json={"values": values})
    if as_json:
        emit_json(data)
    else:
        console.print(f"[green]✓[/] {data['message']}")


@setup_app.command("disconnect")
def disconnect(name: str, server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """Remove your stored key for a provider."""
    with connect_server(server) as api:
        data = api.request("DELETE", f"/v1/setup/providers/{name}/connect")
    if as_json:
        emit_json(data)
    else:
        console.print(f"[green]✓[/] {data['message']}")


@setup_app.command("diagnostics")
def diagnostics(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: a new one).")
    ] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Save the diagnostics bundle (secrets redacted) to attach to a bug report."""
    with connect_server(server) as api:
        data = api.request("GET", "/v1/setup/diagnostics")
    if as_json:
        emit_json(data)
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = output or Path(f"reelforge-diagnostics-{stamp}.json")
    path.write_text(json.dumps(data, indent=2) + "\n")
    console.print(f"[green]✓[/] diagnostics saved to {path}")


def _engine_view(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(data)
        return
    color = COLORS.get(data["status"], "white")
    where = f" pid {data['pid']}" if data.get("pid") else ""
    console.print(f"{data['engine']}: [{color}]{data['status']}[/] at {data['url']}{where}")
    if data.get("remediation"):
        console.print(f"  → {data['remediation']}")


@engine_app.command("status")
def engine_status(
    engine: EngineArg = "comfyui", server: ServerOpt = None, as_json: JsonOpt = False
) -> None:
    """Not installed, installed, starting or running."""
    with connect_server(server) as api:
        _engine_view(api.request("GET", f"/v1/setup/engines/{engine}"), as_json)


@engine_app.command("start")
def engine_start(
    engine: EngineArg = "comfyui",
    wait: WaitOpt = True,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start the engine you installed (never installs anything)."""
    with connect_server(server) as api:
        params = {"wait": wait}
        _engine_view(
            api.request("POST", f"/v1/setup/engines/{engine}/start", params=params), as_json
        )


@engine_app.command("stop")
def engine_stop(
    engine: EngineArg = "comfyui", server: ServerOpt = None, as_json: JsonOpt = False
) -> None:
    """Stop the engine ReelForge started."""
    with connect_server(server) as api:
        _engine_view(api.request("POST", f"/v1/setup/engines/{engine}/stop"), as_json)


@engine_app.command("restart")
def engine_restart(
    engine: EngineArg = "comfyui",
    wait: WaitOpt = True,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Stop, then start again."""
    with connect_server(server) as api:
        params = {"wait": wait}
        _engine_view(
            api.request("POST", f"/v1/setup/engines/{engine}/restart", params=params), as_json
        )


@engine_app.command("logs")
def engine_logs(
    engine: EngineArg = "comfyui",
    lines: Annotated[int, typer.Option("--lines", "-n", help="How many (last) lines.")] = 200,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The last lines of the engine's log (secrets masked)."""
    with connect_server(server) as api:
        data = api.request("GET", f"/v1/setup/engines/{engine}/logs", params={"lines": lines})
    if as_json:
        emit_json(data)
        return
    for line in data["lines"]:
        console.print(line, highlight=False, markup=False)
