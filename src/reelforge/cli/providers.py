"""``reelforge providers list|test``."""

from __future__ import annotations

import typer
from rich.table import Table

from reelforge.cli.client import connect
from reelforge.cli.options import JsonOpt, ServerOpt
from reelforge.cli.output import console, emit_json

providers_app = typer.Typer(
    help="Providers: which are live, sandbox or offline.", no_args_is_help=True
)


@providers_app.command("list")
def list_providers(server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """Every provider and how it is connected."""
    with connect(server) as api:
        data = api.request("GET", "/v1/providers")
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"providers (sandbox mode {'on' if data['sandbox_mode'] else 'off'})")
    for col in ("name", "provider", "connection", "key from", "env"):
        table.add_column(col)
    colors = {"live": "green", "sandbox": "yellow", "offline": "red"}
    for p in data["providers"]:
        env = ", ".join(v for f in p["credential_fields"] for v in f["env_vars"][:1])
        conn = p["connection"]
        table.add_row(
            p["name"], p["display_name"], f"[{colors[conn]}]{conn}[/]", p["credential_source"], env
        )
    console.print(table)


@providers_app.command("test")
def test_provider(name: str, server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """Verify the key with the provider and show its balance."""
    with connect(server) as api:
        data = api.request("POST", f"/v1/providers/{name}/test")
    if as_json:
        emit_json(data)
        return
    balance = data.get("balance")
    shown = f"{balance['amount']} {balance['unit']}" if balance else "not reported"
    console.print(
        f"[green]✓[/] {name}: {data['connection']}"
        f"{' (sandbox)' if data['sandbox'] else ''}, key from {data['credential_source']}, "
        f"balance {shown}"
    )
