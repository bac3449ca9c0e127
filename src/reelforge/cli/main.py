"""``reelforge``: the root command.

Every sub-command is loaded when it is used (``cli/lazy.py``), so ``reelforge --help`` and
``reelforge version`` import neither the engine, the settings, numpy nor PyAV.
"""

from __future__ import annotations

import sys
from typing import ClassVar

import typer

from reelforge import __version__
from reelforge.cli.lazy import Lazy, LazyGroup
from reelforge.cli.options import JsonOpt, ServerOpt  # (also re-exported for command modules)
from reelforge.domain.errors import ReelForgeError


class RootGroup(LazyGroup):
    LAZY: ClassVar[dict[str, Lazy]] = {
        "serve": Lazy("reelforge.cli.serving:serve", "Run the API server."),
        "login-url": Lazy(
            "reelforge.cli.serving:login_url_command", "Print a one-time studio sign-in link."
        ),
        "worker": Lazy("reelforge.cli.serving:worker", "Run steps without serving the API."),
        "emulate": Lazy("reelforge.cli.serving:emulate", "Serve every provider emulator."),
        "db": Lazy("reelforge.cli.serving:db_app", "Database migrations."),
        "generate": Lazy("reelforge.cli.runs:generate", "Generate with one model."),
        "run": Lazy("reelforge.cli.runs:run_pipeline", "Run a pipeline document."),
        "runs": Lazy("reelforge.cli.runs_app:runs_app", "List, show, watch, cancel, rerun runs."),
        "artifacts": Lazy(
            "reelforge.cli.artifacts:artifacts_app", "Stored media: list, show, get."
        ),
        "analytics": Lazy("reelforge.cli.analytics:analytics_app", "Usage, spend, providers."),
        "credits": Lazy("reelforge.cli.credits:credits_app", "Balance, ledger and plans."),
        "quote": Lazy("reelforge.cli.quote:quote", "Price a pipeline before it runs."),
        "models": Lazy("reelforge.cli.models:models_app", "The model catalog."),
        "presets": Lazy("reelforge.cli.presets:presets_app", "Presets: list, show, run."),
        "providers": Lazy("reelforge.cli.providers:providers_app", "Providers and their keys."),
        "media": Lazy("reelforge.cli.media:media_app", "Local media work (probe, frames, ...)."),
        "users": Lazy("reelforge.cli.users:users_app", "Users and roles."),
        "keys": Lazy("reelforge.cli.users:keys_app", "API keys."),
        "setup": Lazy(
            "reelforge.cli.setup:setup_app",
            "Setup hub: healthcheck, connect, engines, diagnostics.",
        ),
        "characters": Lazy(
            "reelforge.cli.characters:characters_app", "Characters: reference images, a voice."
        ),
        "sources": Lazy("reelforge.cli.sources:sources_app", "Model files for a local ComfyUI."),
        "mcp": Lazy("reelforge.cli.mcp:mcp", "Serve ReelForge's tools over MCP (stdio)."),
    }


app = typer.Typer(
    name="reelforge",
    cls=RootGroup,
    help="ReelForge: one API, CLI and studio over every generative-media provider.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def root() -> None:
    """ReelForge: one API, CLI and studio over every generative-media provider."""


@app.command()
def version(as_json: JsonOpt = False) -> None:
    """Show the version."""
    if as_json:
        sys.stdout.write(f'{{"version": "{__version__}"}}\n')
    else:
        sys.stdout.write(f"reelforge {__version__}\n")


def main() -> None:
    try:
        app()
    except ReelForgeError as exc:
        from reelforge.cli.output import show_error

        show_error(exc)
        raise SystemExit(1) from exc


__all__ = ["JsonOpt", "ServerOpt", "app", "main"]

if __name__ == "__main__":
    main()
