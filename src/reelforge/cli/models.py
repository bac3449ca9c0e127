"""``reelforge models list|show``: the model catalog, as the server serves it
(``GET /v1/models``, ``GET /v1/models/{id}``): no database, no data directory here."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from reelforge.cli.client import connect
from reelforge.cli.options import JsonOpt, ServerOpt
from reelforge.cli.output import console, emit_json, new_table
from reelforge.domain.modes import Mode

models_app = typer.Typer(help="The model catalog: modes, prices, settings.", no_args_is_help=True)


@models_app.command("list")
def list_models(
    mode: Annotated[Mode | None, typer.Option(help="Only this mode (t2i, i2v, ...).")] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    q: Annotated[str | None, typer.Option("--q", "-q", help="Text in id, label or tags.")] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List models, each mode sorted by price (unknown prices last)."""
    query = {"mode": mode.value if mode else None, "provider": provider, "q": q}
    with connect(server) as api:
        listing = api.request(
            "GET", "/v1/models", params={k: v for k, v in query.items() if v is not None}
        )
    if as_json:
        emit_json(listing)
        return
    table = new_table(f"{listing['count']} models" + (f" · {mode}" if mode else ""))
    table.add_column("id", overflow="fold", ratio=3)
    table.add_column("mode", no_wrap=True)
    table.add_column("price", no_wrap=True, justify="right")
    table.add_column("label", overflow="ellipsis", no_wrap=True, ratio=2)
    for model in listing["models"]:
        table.add_row(
            model["id"], ",".join(model["modes"]), model["price"]["typical_display"], model["label"]
        )
    console.print(table)
    if listing.get("stale"):
        console.print(
            "[yellow]Some live lists could not be refreshed; showing the last good copy.[/]"
        )
    if listing.get("unavailable"):
        console.print(
            f"[yellow]Not loaded: {', '.join(listing['unavailable'])} (try again shortly).[/]",
            highlight=False,
        )


def _allowed(spec: dict[str, Any]) -> str:
    if spec.get("enum") is not None:
        return ", ".join(str(v) for v in spec["enum"])
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is None and high is None:
        return ""
    return f"{'' if low is None else f'{low:g}'}..{'' if high is None else f'{high:g}'}"


@models_app.command("show")
def show_model(
    model_id: Annotated[
        str, typer.Argument(metavar="ID", help="e.g. atlas/google/nano-banana/edit")
    ],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One model: price, inputs and settings."""
    with connect(server) as api:
        view = api.request("GET", f"/v1/models/{quote(model_id, safe='/')}")
    if as_json:
        emit_json(view)
        return
    price = view["price"]
    say = lambda text: console.print(text, highlight=False)  # noqa: E731
    say(f"[bold]{view['label']}[/]  {view['id']}")
    say(f"modes: {', '.join(view['modes'])} → {view['output_kind']}")
    say(f"price: {price['display']} ({price['basis']}; {price['source'] or 'no source'})")
    if view.get("inputs"):
        slots = ", ".join(
            f"{s['name']} ({s['kind']}{'' if s.get('required') else ', optional'})"
            for s in view["inputs"]
        )
        say(f"inputs: {slots}")
    table = new_table("settings")
    for column in ("name", "type", "default", "allowed", "required"):
        table.add_column(column, overflow="fold")
    for spec in view.get("params") or ():
        if spec.get("media_kind"):
            continue
        default = "" if not spec.get("has_default") else str(spec.get("default"))
        table.add_row(
            spec["name"],
            spec["type"],
            default,
            _allowed(spec),
            "yes" if spec.get("required") else "",
        )
    console.print(table)


@models_app.command("drift")
def drift(
    model: Annotated[str | None, typer.Argument(help="Only this model.")] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Quote versus what providers reported they charged, per model (correct the catalog)."""
    with connect(server) as api:
        report = api.request(
            "GET", "/v1/models/price-drift", params={"model": model} if model else {}
        )
    if as_json:
        emit_json(report)
        return
    table = new_table("price drift (provider-reported cost vs quote)")
    for name in ("model", "n", "quote", "reported", "drift", "%", "unbilled"):
        table.add_column(name, no_wrap=name != "model", overflow="fold")
    usd = lambda m: f"${m / 1_000_000:.6f}".rstrip("0").rstrip(".")  # noqa: E731
    for row in report["models"]:
        pct = row["drift_percent"]
        table.add_row(
            row["model"],
            str(row["observations"]),
            usd(row["mean_quote_micros"]),
            usd(row["mean_reported_micros"]),
            usd(row["drift_micros"]),
            "—" if pct is None else f"{pct:+.1f}%",
            usd(row["unbilled_micros"]),
        )
    console.print(table)
