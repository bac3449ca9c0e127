"""Options shared by the commands (kept here so each command module stays small)."""

from __future__ import annotations

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
# A string, not a Path: "out/" (a directory, made if needed) must keep its slash.
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Save the result here: a directory (ending in / or existing), or a file "
        "(its extension from the media type when it has none).",
    ),
]
