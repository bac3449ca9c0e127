"""The composition root: settings → database → artifact store → providers → runner.

The one place that builds services. Interfaces (API, CLI) call ``open_container`` and
hand the result on; nothing below reads settings or environment variables itself
(provider credential lookup at call time is the one exception, by design).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from reelforge import __version__, billing
from reelforge.api.app import create_app
from reelforge.billing.run_billing import LedgerRunBilling
from reelforge.catalog.atlas_discovery import AtlasDiscovery
from reelforge.catalog.catalog import Catalog
from reelforge.catalog.loader import load_curated
from reelforge.catalog.sources import load_curated_sources
from reelforge.container import Container
from reelforge.domain.identity import Role
from reelforge.emulators import registry as emulator_registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.base.durable import DurableStore
from reelforge.emulators.comfyui.extension_nodes import parse_extensions
from reelforge.engine.advance import Engine
from reelforge.engine.catalog_access import CatalogAccess
from reelforge.engine.characters import CharacterService
from reelforge.engine.events import EventBus
from reelforge.engine.launch import Leases
from reelforge.engine.media_io import SANDBOX_FILES_URL, MediaIO
from reelforge.engine.presets.service import PresetService
from reelforge.engine.routing import RetryPolicy
from reelforge.engine.service import RunService
from reelforge.engine.sources import SourceService
from reelforge.engine.webhooks import deliver, owner_webhook_secret
from reelforge.jobs.dramatiq_broker import BrokerConfig
from reelforge.jobs.dramatiq_runner import DramatiqConfig, DramatiqRunner
from reelforge.jobs.embedded import EmbeddedRunner
from reelforge.jobs.scheduled import ScheduledJob, Scheduler
from reelforge.logs import configure_logging, get_logger, register_secret
from reelforge.providers.atlas import AtlasProvider
from reelforge.providers.credentials import CredentialVault, env_credential
from reelforge.providers.health import HealthBoard
from reelforge.providers.hub import ProviderHub, SandboxEndpoint
from reelforge.providers.llm_chat import ChatLLM
from reelforge.providers.plugins import load_registry
from reelforge.sandbox_links import signed_files_app
from reelforge.settings import RunnerKind, Settings
from reelforge.storage import identity, migrate
from reelforge.storage.artifacts import ArtifactStore
from reelforge.storage.blobs import open_blob_store
from reelforge.storage.content_credentials.sealing import Sealer
from reelforge.storage.content_credentials.setup import open_sealer
from reelforge.storage.db import Database
from reelforge.storage.engine_urls import EngineUrlPolicy
from reelforge.storage.fetcher import SafeFetcher
from reelforge.storage.http_client import combined_bundle, outgoing_client

log = get_logger("reelforge.app")


def write_private_file(path: Path, content: str) -> None:
    """Create or replace a file readable by its owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def ensure_secret(settings: Settings) -> str:
    """The credential-encryption secret: from settings, else ``<home>/secret``, made once."""
    if settings.secret is not None:
        value = settings.secret.get_secret_value()
    elif settings.secret_path.exists():
        value = settings.secret_path.read_text().strip()
    else:
        value = secrets.token_urlsafe(32)
        write_private_file(settings.secret_path, value + "\n")
        log.info("secret_created", path=str(settings.secret_path))
    register_secret(value)
    return value


def build_container(settings: Settings) -> Container:
    settings.home.mkdir(parents=True, exist_ok=True)
    secret = ensure_secret(settings)
    db = Database(settings.resolved_database_url)
    blobs = open_blob_store(
        settings.resolved_artifact_store_url,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        work_dir=settings.home,
        verify=combined_bundle(settings.home / "ca-bundle.pem", settings.ca_bundles),
    )
    fetcher = SafeFetcher(
        max_bytes=settings.fetch_max_bytes,
        timeout_seconds=settings.fetch_timeout_seconds,
        allow_hosts=settings.fetch_allow_hosts,
        ca_bundles=settings.ca_bundles,
    )
    vault = CredentialVault(db, secret)
    provider_timeout = httpx.Timeout(
        settings.provider_timeout_seconds, connect=min(10.0, settings.provider_timeout_seconds)
    )
    provider_client = outgoing_client(
        timeout=provider_timeout, ca_bundles=settings.ca_bundles, send_gate_on_wire=True
    )
    artifacts = ArtifactStore(db, blobs, build_sealer(settings))
    # Emulators fetch signed input links (providers that take URLs only) in-process.
    files = httpx.ASGITransport(app=signed_files_app(artifacts, secret))
    sandbox_endpoints, sandbox_closers = (
        build_sandbox(
            fetcher,
            settings.resolved_sandbox_state,
            comfyui_extensions=parse_extensions(settings.comfyui_emulator_extensions),
            fetch_mounts={SANDBOX_FILES_URL: files},
        )
        if settings.sandbox
        else ({}, [])
    )
    base_urls = dict(settings.provider_base_urls)
    if settings.comfyui_dir is not None:
        # The ComfyUI the setup hub starts (on comfyui_port) is the one the adapter calls.
        base_urls.setdefault("comfyui", f"http://127.0.0.1:{settings.comfyui_port}")
    hub = ProviderHub(
        load_registry(),
        vault,
        provider_client,
        sandbox=settings.sandbox,
        base_urls=base_urls,
        sandbox_endpoints=sandbox_endpoints,
        engine_urls=EngineUrlPolicy(db, fetcher, allow_private=settings.allow_private_engines),
    )
    container = Container(
        settings=settings,
        db=db,
        blobs=blobs,
        artifacts=artifacts,
        fetcher=fetcher,
        vault=vault,
        hub=hub,
        sources=SourceService(
            db,
            fetcher,
            load_curated_sources(),
            models_dir=settings.models_dir,
            max_bytes=settings.source_max_bytes,
        ),
    )
    container.extras["secret"] = secret
    container.extras["uiux_llm"] = uiux_llm(settings, provider_client, sandbox_closers)
    container._closers.extend([provider_client.aclose, *sandbox_closers])
    container.catalog = build_catalog(settings, hub)
    container.characters = CharacterService(db)
    return container


def build_sealer(settings: Settings) -> Sealer | None:
    """Content credentials (issue 24): who signs what ReelForge makes, or None when off."""
    if not settings.content_credentials:
        return None
    return open_sealer(
        folder=settings.c2pa_dir,
        version=__version__,
        cert_chain=settings.c2pa_cert_chain,
        private_key=settings.c2pa_private_key,
        remote=settings.c2pa_signer,
        trust_anchors=settings.c2pa_trust_anchors,
    )


def build_catalog(settings: Settings, hub: ProviderHub) -> Catalog:
    """Curated data files plus Atlas Cloud's live list.

    The list is public (no key needed), so the only question is where it comes from: an
    explicit base URL, else the sandbox emulator when sandbox mode is on and no Atlas key
    is in the environment, else the real API.
    """
    base_url = settings.provider_base_urls.get("atlas")
    endpoint = hub.sandbox_endpoints.get("atlas")
    if base_url:
        atlas = AtlasDiscovery(hub.client, base_url)
    elif endpoint is not None and hub.sandbox and env_credential(AtlasProvider) is None:
        atlas = AtlasDiscovery(endpoint.client, endpoint.base_url)
    else:
        atlas = AtlasDiscovery(hub.client)
    return Catalog(load_curated(), [atlas])


SANDBOX_DOMAIN = "sandbox.reelforge.internal"


def uiux_llm(
    settings: Settings, client: httpx.AsyncClient, closers: list[object]
) -> ChatLLM | None:
    """The asset studio's UI/UX code model: the configured OpenAI-compatible API, else in
    sandbox mode the in-process chat emulator, else none (the route says how to set one)."""
    if settings.uiux_llm_base_url:
        return ChatLLM(client, settings.uiux_llm_base_url, settings.uiux_llm_model)
    if not settings.sandbox:
        return None
    from reelforge.emulators import llmchat

    emulated = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=llmchat.create_app()),
        base_url=f"http://llmchat.{SANDBOX_DOMAIN}",
    )
    closers.append(emulated.aclose)
    return ChatLLM(
        emulated, f"http://llmchat.{SANDBOX_DOMAIN}/v1", "gpt-4o-mini", llmchat.SANDBOX_API_KEY
    )


def build_sandbox(
    fetcher: SafeFetcher,
    state_path: Path | str | None = None,
    *,
    comfyui_extensions: frozenset[str] | None = None,
    fetch_mounts: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> tuple[dict[str, SandboxEndpoint], list[object]]:
    """In-process emulators for sandbox mode: each provider's emulator app behind an ASGI
    transport, reachable by the adapter and (for outputs) the safe fetcher, never the network.

    With ``state_path`` their task state lives in that SQLite file or database (URL), so a
    restarted process, or another worker of the deployment (on this machine for a file, on
    any for the deployment's PostgreSQL), answers for tasks it did not see.
    """
    endpoints: dict[str, SandboxEndpoint] = {}
    closers: list[object] = []
    durable = DurableStore(state_path) if state_path is not None else None
    for name in emulator_registry.names():
        spec = emulator_registry.load(name)
        host = f"{name}.{SANDBOX_DOMAIN}"
        base_url = f"http://{host}"
        config = EmulatorConfig(
            public_base_url=base_url,
            durable=durable,
            comfyui_extensions=comfyui_extensions,
            fetch_mounts=fetch_mounts,
        )
        app = spec.create_app(config)
        transport = httpx.ASGITransport(app=app)
        client = httpx.AsyncClient(transport=transport, base_url=base_url, timeout=60.0)
        fetcher.add_internal_transport(host, transport)
        endpoints[name] = SandboxEndpoint(client, base_url, spec.sandbox_credential)
        closers.append(client.aclose)
    if durable is not None:
        closers.append(durable.aclose)
    return endpoints, closers


async def ensure_owner(container: Container) -> str | None:
    """Create the local owner and its key on first start; write the key to ``owner.key``.

    Returns the new key when one was made (it is only ever shown this once).
    """
    key_path = container.settings.owner_key_path
    async with container.db.transaction() as session:
        owner = await identity.find_owner(session)
        if owner is not None and key_path.exists():
            existing = key_path.read_text().strip()
            try:
                await identity.authenticate(session, existing)
            except Exception:
                log.warning("owner_key_invalid_replacing", path=str(key_path))
            else:
                register_secret(existing)
                return None
        if owner is None:
            owner = await identity.create_user(session, "owner", Role.OWNER)
        _row, plain = await identity.create_api_key(session, owner.id, label="owner.key")
    write_private_file(key_path, plain + "\n")
    register_secret(plain)
    log.info("owner_key_written", path=str(key_path))
    return plain


async def prepare(container: Container, *, upgrade_db: bool, owner: bool = True) -> None:
    """Start-up work: migrate (SQLite by default; others when asked) and make the owner."""
    if upgrade_db:
        await migrate.upgrade(container.db.url)
    if owner:
        await ensure_owner(container)
    async with container.db.transaction() as session:
        settings = container.settings
        await billing.sync_plans(
            session, billing.load_plans(settings.plans_file), settings.default_plan
        )


def build_engine(container: Container, *, worker: bool = False) -> None:
    """Catalog → engine → run service → runner, on an assembled container.

    ``worker``: this process advances steps (``reelforge worker``). With the Dramatiq
    runner, other processes (``reelforge serve``) only enqueue.
    """
    settings = container.settings
    media = MediaIO(
        container.artifacts,
        container.fetcher,
        public_base_url=settings.public_base_url,
        link_secret=container.extras["secret"],
    )
    engine = Engine(
        container.db,
        container.hub,
        container.artifacts,
        media,
        LedgerRunBilling(),
        EventBus(),
        CatalogAccess(container.catalog, max_prompt_chars=settings.max_prompt_chars),
        policy=RetryPolicy(
            resubmits=settings.resubmit_failed,
            base_delay=settings.retry_base_delay_seconds,
            max_delay=max(settings.retry_base_delay_seconds, settings.retry_max_delay_seconds),
        ),
        health=HealthBoard(
            container.db,
            base_cooldown=settings.provider_cooldown_seconds,
            max_cooldown=15 * settings.provider_cooldown_seconds,
        ),
    )
    engine.leases = Leases(settings.submit_lease_seconds, settings.unsent_lease_seconds)
    container.engine = engine
    container.runs = RunService(engine)
    # Presets load (and are validated) here: a broken preset file stops the start.
    container.extras["presets"] = PresetService(
        container.runs, container.hub, container.catalog, characters=container.characters
    )

    async def on_run_finished(run_id: str) -> None:
        if run_id in engine.finisher.webhooks_due:
            engine.finisher.webhooks_due.discard(run_id)
            await send_run_webhook(container, run_id)

    container.runs.on_finished = on_run_finished

    if settings.runner is RunnerKind.DRAMATIQ:
        container.runner = DramatiqRunner(
            engine, dramatiq_config(settings), consume=worker, on_run_finished=on_run_finished
        )
    else:
        container.runner = EmbeddedRunner(
            engine,
            concurrency=settings.runner_concurrency,
            start_rate=settings.runner_start_rate,
            on_run_finished=on_run_finished,
            # Beside the API, steps give way to requests under a burst.
            foreground=None if worker else container.foreground,
        )


def product_jobs(container: Container) -> list[ScheduledJob]:
    """The scheduled jobs of the products switched on (REELFORGE_APPS)."""
    jobs: list[ScheduledJob] = []
    if "series" in container.settings.enabled_apps:
        from reelforge.apps.series.jobs import scheduled_jobs

        jobs.extend(scheduled_jobs(container))
    return jobs


def dramatiq_config(settings: Settings) -> DramatiqConfig:
    return DramatiqConfig(
        broker=BrokerConfig(
            url=settings.broker_url,
            namespace=settings.broker_namespace,
            heartbeat_timeout_ms=settings.redis_heartbeat_timeout_ms,
            maintenance_chance=settings.redis_maintenance_chance,
        ),
        queue_name=settings.queue_name,
        worker_threads=settings.worker_threads,
        worker_idle_ms=settings.worker_idle_ms,
        schedule_url=settings.schedule_url,
        sweep_seconds=settings.worker_sweep_seconds,
    )


async def send_run_webhook(container: Container, run_id: str) -> None:
    from sqlalchemy import update

    from reelforge.engine.run_views import run_view
    from reelforge.storage.run_tables import RunRow

    async with container.db.session() as session:
        run = await session.get(RunRow, run_id)
    if run is None or not run.callback_url:
        return
    _run, steps = await container.runs.get_run(run_id, run.owner_id)
    secret = owner_webhook_secret(container.extras["secret"], run.owner_id)
    status = await deliver(container.fetcher, run.callback_url, run_view(_run, steps), secret)
    async with container.db.transaction() as session:
        await session.execute(
            update(RunRow).where(RunRow.id == run_id).values(webhook_status=status)
        )


@asynccontextmanager
async def open_container(
    settings: Settings | None = None,
    *,
    upgrade_db: bool | None = None,
    start_runner: bool = False,
    worker: bool = False,
) -> AsyncIterator[Container]:
    """Build, prepare and (optionally) start everything, inside the caller's event loop
    (the loop the database engine and HTTP clients will be bound to).

    ``worker=True`` is ``reelforge worker``: it advances steps and serves no API, so it
    makes no owner key.
    """
    settings = settings or Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    container = build_container(settings)
    try:
        await prepare(
            container,
            upgrade_db=container.db.is_sqlite if upgrade_db is None else upgrade_db,
            owner=not worker,
        )
        build_engine(container, worker=worker)
        if start_runner:
            await container.runner.start()
            container._closers.append(container.runner.stop)
            # Scheduled jobs run where steps are advanced (embedded serve, Dramatiq workers).
            scheduler = Scheduler(container.db, product_jobs(container))
            container.extras["scheduler"] = scheduler
            await scheduler.start()
            container._closers.append(scheduler.stop)
        yield container
    finally:
        await container.aclose()


def emulators_app(
    public_base: str,
    state_path: Path | None = None,
    *,
    comfyui_extensions: str | None = None,
) -> tuple[PrefixRouter, list[str]]:
    """Every emulator under one app, a path prefix per provider (``reelforge emulate``);
    task state in memory unless ``state_path`` names a SQLite file to keep it in."""
    names = emulator_registry.names()
    durable = DurableStore(state_path) if state_path is not None else None
    apps: dict[str, ASGIApp] = {}
    for name in names:
        spec = emulator_registry.load(name)
        config = EmulatorConfig(
            public_base_url=f"{public_base}/{name}",
            durable=durable,
            comfyui_extensions=parse_extensions(comfyui_extensions),
        )
        apps[name] = spec.create_app(config)
    return PrefixRouter(apps), names


class PrefixRouter:
    """``/<name>/...`` to the app called name, with ``/<name>`` in ``root_path`` as a mount
    puts it. Unlike Starlette's Mount the bare prefix is the app's own root, not a redirect:
    a base URL such as ``http://127.0.0.1:8900/runware`` is POSTed to exactly as given."""

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # nothing to start: acknowledge the server's events
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        path: str = scope["path"]
        name = path.split("/", 2)[1] if path.startswith("/") else ""
        app = self.apps.get(name)
        if app is None:
            body = {"error": "no emulator at this path", "emulators": sorted(self.apps)}
            await JSONResponse(body, status_code=404)(scope, receive, send)
            return
        prefix = f"/{name}"
        child = dict(scope)
        child["root_path"] = scope.get("root_path", "") + prefix
        if path == prefix:
            child["path"] = prefix + "/"
            child["raw_path"] = child["path"].encode()
        await app(child, receive, send)


def api_app(container: Container) -> FastAPI:
    return create_app(container)
