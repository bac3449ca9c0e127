"""``reelforge models list|show``: the model catalog from the command line.

Reads the same catalog the API serves (curated data files plus Atlas Cloud's live list,
from the sandbox emulator when sandbox mode is on and no Atlas key is set).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from rich.table import Table

from reelforge.catalog.schema import entry_params
from reelforge.catalog.views import detail_view, summary_view
from reelforge.cli.output import console, emit_json
from reelforge.domain.modes import Mode

models_app = typer.Typer(help="The model catalog: modes, prices, settings.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _with_catalog(action: Any) -> Any:
    from reelforge.app import open_container

    async def run() -> Any:
        async with open_container() as container:
            return await action(container.catalog)

    return asyncio.run(run())


@models_app.command("list")
def list_models(
    mode: Annotated[Mode | None, typer.Option(help="Only this mode (t2i, i2v, ...).")] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    q: Annotated[str | None, typer.Option("--q", "-q", help="Text in id, label or tags.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List models, each mode sorted by price (unknown prices last)."""
    listing = _with_catalog(lambda c: c.list_models(mode=mode, provider=provider, q=q))
    if as_json:
        emit_json(
            {
                "models": [summary_view(e) for e in listing.entries],
                "count": len(listing.entries),
                "stale": listing.stale,
                "unavailable": listing.unavailable,
            }
        )
        return
    table = Table(title=f"{len(listing.entries)} models" + (f" · {mode}" if mode else ""))
    for column in ("id", "mode", "price", "label"):
        table.add_column(column, overflow="fold", no_wrap=column == "id")
    for entry in listing.entries:
        view = summary_view(entry)
        table.add_row(
            entry.id, ",".join(view["modes"]), view["price"]["typical_display"], entry.label
        )
    console.print(table)
    if listing.stale:
        console.print(
            "[yellow]Some live lists could not be refreshed; showing the last good copy.[/]"
        )
    if listing.unavailable:
        console.print(
            f"[yellow]Not loaded: {', '.join(listing.unavailable)} (try again shortly).[/]"
        )


@models_app.command("show")
def show_model(
    model_id: Annotated[
        str, typer.Argument(metavar="ID", help="e.g. atlas/google/nano-banana/edit")
    ],
    as_json: JsonOpt = False,
) -> None:
    """One model: price, inputs and settings."""
    entry = _with_catalog(lambda c: c.get(model_id))
    if as_json:
        emit_json(detail_view(entry))
        return
    view = detail_view(entry)
    price = view["price"]
    console.print(f"[bold]{entry.label}[/]  {entry.id}")
    console.print(f"modes: {', '.join(view['modes'])} → {entry.output_kind}")
    console.print(f"price: {price['display']} ({price['basis']}; {price['source'] or 'no source'})")
    if entry.inputs:
        slots = ", ".join(
            f"{s.name} ({s.kind}{'' if s.required else ', optional'})" for s in entry.inputs
        )
        console.print(f"inputs: {slots}")
    table = Table(title="settings")
    for column in ("name", "type", "default", "allowed", "required"):
        table.add_column(column, overflow="fold")
    for spec in entry_params(entry):
        if spec.is_media:
            continue
        if spec.enum is not None:
            allowed = ", ".join(str(v) for v in spec.enum)
        elif spec.minimum is not None or spec.maximum is not None:
            low = "" if spec.minimum is None else f"{spec.minimum:g}"
            high = "" if spec.maximum is None else f"{spec.maximum:g}"
            allowed = f"{low}..{high}"
        else:
            allowed = ""
        default = "" if not spec.has_default else str(spec.default)
        table.add_row(spec.name, spec.type, default, allowed, "yes" if spec.required else "")
    console.print(table)
