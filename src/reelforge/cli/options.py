"""Options shared by the commands (kept here so each command module stays small)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server",
        help="ReelForge URL (default: REELFORGE_SERVER, else the settings' host and port).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Save the result here: a directory, or a file (extension added)."
    ),
]
