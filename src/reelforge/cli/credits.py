"""``reelforge credits [ledger|plans]``: balance, ledger entries and plans."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from reelforge.cli.client import connect
from reelforge.cli.options import JsonOpt, ServerOpt
from reelforge.cli.output import console, emit_json, new_table

credits_app = typer.Typer(
    help="Balance (no sub-command), ledger and plans.", invoke_without_command=True
)
UserOpt = Annotated[str | None, typer.Option("--user", help="Another user's (owners and admins).")]


def _user(user: str | None) -> dict[str, Any]:
    return {"user_id": user} if user else {}


@credits_app.callback()
def balance(
    ctx: typer.Context, user: UserOpt = None, server: ServerOpt = None, as_json: JsonOpt = False
) -> None:
    """Your balance: spendable now, plan allocation left, top-up, held by runs."""
    if ctx.invoked_subcommand is not None:
        return
    with connect(server) as api:
        wallet = api.request("GET", "/v1/credits", params=_user(user))
    if as_json:
        emit_json(wallet)
        return
    say = lambda text: console.print(text, highlight=False)  # noqa: E731
    say(f"[bold]balance {wallet['balance']['display']}[/]  ({wallet['balance']['usd']})")
    say(f"plan {wallet['plan']['name']}: {wallet['allocation']['display']} left this period")
    say(f"period {str(wallet['period_start'])[:10]} → {str(wallet['period_end'])[:10]}")
    say(f"top-up {wallet['topup']['display']} · held {wallet['held']['display']}")
    own = wallet.get("own_keys") or {}
    if own:
        # Whose money pays: own keys are budgeted, never plan credits.
        say(f"own keys ({own['applies_to']}): {own['summary']}")
        say(f"plan credits pay for: {own['plan_credits_apply_to']}")
        for warning in own.get("warnings") or ():
            say(f"  [yellow]budget warning[/]: {warning}")
    for hold in wallet.get("holds") or ():
        say(f"  hold {hold['run_id']} {hold['status']}: {hold['remaining']['display']} left")


@credits_app.command("ledger")
def ledger(
    run_id: Annotated[str | None, typer.Option("--run", help="Only this run's entries.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many (newest first).")] = 20,
    cursor: Annotated[int | None, typer.Option(help="The next page (from the last list).")] = None,
    user: UserOpt = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ledger entries, newest first."""
    params: dict[str, Any] = {"limit": limit, **_user(user)}
    if run_id:
        params["run_id"] = run_id
    if cursor is not None:
        params["cursor"] = cursor
    with connect(server) as api:
        page = api.request("GET", "/v1/credits/ledger", params=params)
    if as_json:
        emit_json(page)
        return
    table = new_table(f"{len(page['entries'])} ledger entries")
    table.add_column("when", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("account", no_wrap=True)
    table.add_column("amount", no_wrap=True, justify="right")
    table.add_column("run / reason", overflow="fold", max_width=28)
    for entry in page["entries"]:
        table.add_row(
            str(entry["created_at"])[5:16].replace("T", " "),
            entry["kind"],
            entry["account"],
            entry["amount"]["display"],
            entry.get("run_id") or entry.get("reason") or "",
        )
    console.print(table)
    if page.get("next_cursor") is not None:
        console.print(
            f"more: reelforge credits ledger --cursor {page['next_cursor']}", highlight=False
        )


@credits_app.command("plans")
def plans(server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """The plans: monthly allocation and rate-limit multiplier."""
    with connect(server) as api:
        items = api.request("GET", "/v1/credits/plans")
    if as_json:
        emit_json(items)
        return
    table = new_table("plans")
    table.add_column("id", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("monthly", no_wrap=True, justify="right")
    table.add_column("rate ×", no_wrap=True, justify="right")
    table.add_column("default", no_wrap=True)
    for plan in items:
        table.add_row(
            plan["id"],
            plan["name"],
            plan["monthly_allocation"]["display"],
            f"{plan['rate_limit_multiplier']:g}",
            "yes" if plan["is_default"] else "",
        )
    console.print(table)
