"""``reelforge serve | worker | emulate | db``: the commands that run ReelForge itself."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reelforge import __version__
from reelforge.cli.loop import run_loop, settle_heap
from reelforge.cli.options import JsonOpt
from reelforge.cli.output import console, emit_json

if TYPE_CHECKING:
    from reelforge.container import Container
    from reelforge.settings import Settings

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Run the API server (with the embedded runner, steps run here too; with
    runner=dramatiq this process only enqueues them for `reelforge worker`)."""
    import uvicorn

    from reelforge.api.web.login_links import login_url, owner_login_token
    from reelforge.app import api_app, open_container
    from reelforge.settings import Settings

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]

    async def _serve() -> None:
        async with open_container(settings, start_runner=True) as container:
            console.print(
                f"[bold]ReelForge[/] {__version__} on http://{settings.host}:{settings.port}"
                f"  (data: {settings.home}, sandbox: {'on' if settings.sandbox else 'off'})"
            )
            console.print(f"Owner API key: {settings.owner_key_path}")
            token = await owner_login_token(container.db, settings)
            # Printed, never logged: the link signs the browser in as the owner (once).
            console.print(f"Studio: {login_url(settings, token)}", soft_wrap=True)
            settle_heap()
            config = uvicorn.Config(
                api_app(container),
                host=settings.host,
                port=settings.port,
                log_config=None,
                access_log=False,
                lifespan="on",
            )
            await uvicorn.Server(config).serve()

    run_loop(_serve())


def login_url_command(
    host: Annotated[
        str | None, typer.Option(help="Host in the link (default: REELFORGE_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port in the link (default: REELFORGE_PORT).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print a fresh one-time sign-in link to the studio of the server using this
    REELFORGE_HOME (15 minutes, works once)."""
    from reelforge.api.web.login_links import login_url, owner_login_token
    from reelforge.settings import Settings
    from reelforge.storage.db import Database

    settings = Settings()

    async def _make() -> str:
        db = Database(settings.resolved_database_url)
        try:
            return await owner_login_token(db, settings)
        finally:
            await db.dispose()

    url = login_url(settings, asyncio.run(_make()), host=host, port=port)
    if as_json:
        emit_json({"url": url})
    else:
        console.print(url, soft_wrap=True)


def worker() -> None:
    """Run steps without serving the API (the embedded runner, or a Dramatiq worker)."""
    import signal

    from reelforge.app import open_container
    from reelforge.settings import RunnerKind, Settings

    settings = Settings()

    async def _work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # The container is built inside this loop: the Dramatiq threads hand their work to it.
        async with open_container(settings, start_runner=True, worker=True) as container:
            detail = ""
            if settings.runner is RunnerKind.DRAMATIQ:
                detail = f", {settings.worker_threads} threads"
                metrics_url = serve_worker_metrics(container, settings)
                if metrics_url:
                    detail += f", metrics at {metrics_url}"
            console.print(
                f"[bold]ReelForge worker[/] ({settings.runner.value} runner{detail}) started"
            )
            settle_heap()
            await stop.wait()
        advances = getattr(container.runner, "advances", 0)
        console.print(f"[bold]ReelForge worker[/] stopped after {advances} step advances")

    run_loop(_work())


def serve_worker_metrics(container: Container, settings: Settings) -> str | None:
    """Dramatiq's Prometheus metrics (plus this process's) on ``worker_metrics_port``."""
    from prometheus_client import REGISTRY, start_http_server

    from reelforge.jobs.dramatiq_runner import DramatiqRunner

    runner = container.runner
    port, host = settings.worker_metrics_port, settings.worker_metrics_host
    if not isinstance(runner, DramatiqRunner) or not port:
        return None
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        # Several workers on one machine need a port each; work goes on without metrics.
        console.print(
            f"[yellow]metrics not served: {host}:{port} is not available ({exc.strerror}); "
            "set REELFORGE_WORKER_METRICS_PORT[/]"
        )
        return None
    bridge = runner.metrics_collector()
    if bridge is not None:
        REGISTRY.register(bridge)
    return f"http://{host}:{port}/metrics"


def emulate(
    port: Annotated[int, typer.Option(help="Port for all emulators (a path per provider).")] = 8900,
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    state: Annotated[
        Path | None,
        typer.Option(help="Keep task state in this SQLite file (across restarts); else memory."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Serve every provider emulator on one port, for offline development."""
    import uvicorn

    from reelforge.app import emulators_app
    from reelforge.settings import Settings

    extensions = Settings().comfyui_emulator_extensions  # which ComfyUI packs it "has"
    app_, names = emulators_app(f"http://{host}:{port}", state, comfyui_extensions=extensions)
    listing = {name: f"http://{host}:{port}/{name}" for name in names}
    if as_json:
        emit_json({"emulators": listing})
    else:
        for name, url in listing.items():
            console.print(f"{name:14} {url}")
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    as_json: JsonOpt = False,
) -> None:
    """Apply database migrations (SQLite or PostgreSQL, from the settings)."""
    from reelforge.settings import Settings
    from reelforge.storage import migrate
    from reelforge.storage.db import Database

    settings = Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url

    async def _run() -> str | None:
        await migrate.upgrade(url, revision)
        db = Database(url)
        try:
            return await migrate.current_revision(db.engine)
        finally:
            await db.dispose()

    current = asyncio.run(_run())
    if as_json:
        emit_json({"revision": current})
    else:
        console.print(f"database at revision [bold]{current}[/]")
