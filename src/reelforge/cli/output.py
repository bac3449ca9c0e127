"""Output for people (Rich) or scripts (``--json``), one way to show errors, and how money
reads. Piped (no terminal), Rich writes plain lines: no colours, no cursor movement."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from reelforge.domain.errors import ReelForgeError
from reelforge.domain.money import format_usd

console = Console()
err_console = Console(stderr=True)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def show_error(exc: ReelForgeError, *, as_json: bool = False) -> None:
    if as_json:
        emit_json({"error": exc.to_dict()})
        return
    err_console.print(f"[bold red]{exc.code}[/]: {exc.message}", highlight=False)
    for step in exc.remediation:
        err_console.print(f"  → {step}", highlight=False)
    if exc.detail:
        err_console.print(f"  [dim]{json.dumps(exc.detail, default=str)}[/]", highlight=False)


def price_text(micros: int | None, known: bool = True) -> str:
    """``$0.025``; a price with an unknown part ``≥ $0.025 + unknown``; nothing known
    ``unknown`` (never ``$0`` for a price nobody knows)."""
    if known:
        return format_usd(micros or 0)
    if micros:
        return f"≥ {format_usd(micros)} + unknown"
    return "unknown"


def quote_text(run: dict[str, Any]) -> str:
    return price_text(run.get("quote_micros"), not run.get("price_unknown"))


def show_warnings(answer: dict[str, Any]) -> None:
    """The planner's warnings on a run (read defensively: older servers send none)."""
    for warning in answer.get("warnings") or ():
        if isinstance(warning, dict):
            where = warning.get("node") or warning.get("node_id")
            text = warning.get("message") or json.dumps(warning, default=str)
            text = f"{where}: {text}" if where else text
        else:
            text = str(warning)
        err_console.print(f"[yellow]warning[/]: {text}", highlight=False)


def new_table(title: str) -> Any:
    """A table that fits 80 columns: a light frame (no side borders), the title on the left.
    Columns that may wrap say so (``overflow="fold"``); prices are ``no_wrap``."""
    from rich import box
    from rich.table import Table

    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
