"""Output for people (Rich) or scripts (``--json``), and one way to show errors."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from reelforge.domain.errors import ReelForgeError

console = Console()
err_console = Console(stderr=True)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def show_error(exc: ReelForgeError, *, as_json: bool = False) -> None:
    if as_json:
        emit_json({"error": exc.to_dict()})
        return
    err_console.print(f"[bold red]{exc.code}[/]: {exc.message}")
    for step in exc.remediation:
        err_console.print(f"  → {step}")
    if exc.detail:
        err_console.print(f"  [dim]{json.dumps(exc.detail, default=str)}[/]")
