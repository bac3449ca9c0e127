"""The ``reelforge`` command line (Typer + Rich)."""
