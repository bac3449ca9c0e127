"""``reelforge analytics usage|spend|providers``: figures from the server's own database."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from reelforge.cli.client import connect
from reelforge.cli.options import JsonOpt, ServerOpt
from reelforge.cli.output import console, emit_json, new_table

analytics_app = typer.Typer(help="Usage, spend and provider figures.", no_args_is_help=True)

DaysOpt = Annotated[int, typer.Option(min=1, max=366, help="The last N days.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every user (owner and admin only).")]


def _fetch(what: str, days: int, everyone: bool, server: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"days": days, "scope": "all" if everyone else "mine"}
    with connect(server) as api:
        answer: dict[str, Any] = api.request("GET", f"/v1/analytics/{what}", params=params)
    return answer


def _unavailable(answer: dict[str, Any]) -> bool:
    """Analytics degrade instead of failing: say so, in yellow, and stop."""
    if answer.get("ok"):
        return False
    console.print(f"[yellow]{answer.get('message') or 'Analytics unavailable.'}[/]")
    return True


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


@analytics_app.command("usage")
def usage(
    days: DaysOpt = 30, everyone: AllOpt = False, server: ServerOpt = None, as_json: JsonOpt = False
) -> None:
    """Runs per day, by status."""
    answer = _fetch("usage", days, everyone, server)
    if as_json:
        emit_json(answer)
        return
    if _unavailable(answer):
        return
    data = answer["data"]
    table = new_table(f"{data['runs']} runs in {data['days']} days")
    statuses = sorted(data["by_status"])
    table.add_column("day", no_wrap=True)
    table.add_column("runs", justify="right")
    for status in statuses:
        table.add_column(status, justify="right")
    for day in data["per_day"]:
        by = day["by_status"]
        table.add_row(day["day"], str(day["runs"]), *(str(by.get(s, 0)) for s in statuses))
    console.print(table)


@analytics_app.command("spend")
def spend(
    days: DaysOpt = 30, everyone: AllOpt = False, server: ServerOpt = None, as_json: JsonOpt = False
) -> None:
    """What steps cost, per provider and per day."""
    answer = _fetch("spend", days, everyone, server)
    if as_json:
        emit_json(answer)
        return
    if _unavailable(answer):
        return
    data = answer["data"]
    table = new_table(f"{data['total']['formatted']} in {data['days']} days")
    table.add_column("provider")
    table.add_column("steps", justify="right")
    table.add_column("spend", justify="right", no_wrap=True)
    for row in data["per_provider"]:
        table.add_row(row["provider"], str(row["steps"]), row["formatted"])
    console.print(table)
    days_table = new_table("per day")
    days_table.add_column("day", no_wrap=True)
    days_table.add_column("spend", justify="right", no_wrap=True)
    for row in data["per_day"]:
        days_table.add_row(row["day"], row["formatted"])
    console.print(days_table)


@analytics_app.command("providers")
def providers(
    days: DaysOpt = 30, everyone: AllOpt = False, server: ServerOpt = None, as_json: JsonOpt = False
) -> None:
    """Success rate per provider and model, and each model's median time."""
    answer = _fetch("providers", days, everyone, server)
    if as_json:
        emit_json(answer)
        return
    if _unavailable(answer):
        return
    table = new_table(f"models, last {answer['data']['days']} days")
    table.add_column("model", overflow="fold")
    table.add_column("steps", justify="right")
    table.add_column("success", justify="right")
    table.add_column("p50", justify="right", no_wrap=True)
    for m in answer["data"]["models"]:
        p50 = "-" if m["p50_seconds"] is None else f"{m['p50_seconds']:.1f} s"
        table.add_row(m["model"], str(m["steps"]), _pct(m["success_rate"]), p50)
    console.print(table)
