"""Settings: environment (prefix ``REELFORGE_``) and ``.env``; read once by the composition root."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reelforge.domain.errors import ErrorCode, ReelForgeError

# The products on the core (DESIGN.md), in mounting order; api/products.py mounts each one.
KNOWN_APPS: tuple[str, ...] = ("market", "series", "assets")


class RunnerKind(StrEnum):
    EMBEDDED = "embedded"
    DRAMATIQ = "dramatiq"


class CreditDisplay(StrEnum):
    CREDITS = "credits"
    USD = "usd"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="REELFORGE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    home: Path = Field(
        default_factory=lambda: Path.home() / ".reelforge",
        description="Data directory: database, artifacts, secret, owner key.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default sqlite+aiosqlite:///<home>/reelforge.db",
    )
    artifact_store_url: str | None = Field(
        default=None,
        description="A folder path or file:// URL (default <home>/artifacts), or s3://bucket/prefix.",
    )
    s3_endpoint_url: str | None = Field(default=None, description="For S3-compatible stores.")
    s3_region: str = "us-east-1"
    runner: RunnerKind = RunnerKind.EMBEDDED
    runner_concurrency: int = Field(
        default=64,
        ge=1,
        le=4096,
        description="Embedded runner: steps advanced at once per process (polls, submissions, "
        "downloads). Waiting tasks cost nothing; this bounds the work done at once.",
    )
    runner_start_rate: float | None = Field(
        default=150.0,
        gt=0,
        description="Embedded runner: new steps started per second per process, at most "
        "(bursts of a quarter of it). Steps started together finish together; started faster "
        "than the process can finish them, they would be recorded late. Polls are never held "
        "back. Unset (null) for no bound.",
    )
    broker_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Dramatiq broker: redis://host:port/db or amqp://user:pass@host:port/vhost.",
    )
    broker_namespace: str = Field(
        default="reelforge", description="Prefix of every Redis key the runner uses."
    )
    queue_name: str = Field(default="reelforge", description="The Dramatiq queue for steps.")
    schedule_url: str | None = Field(
        default=None,
        description="Redis for the runner's schedule book (one message chain per step); "
        "default: the broker URL when it is Redis, else none (duplicates cost extra polls).",
    )
    worker_threads: int = Field(
        default=8, ge=1, le=1024, description="Dramatiq threads (advances in flight) per worker."
    )
    worker_idle_ms: int = Field(
        default=1000, ge=10, description="How often idle consumers look for due delayed messages."
    )
    worker_sweep_seconds: float = Field(
        default=30.0, ge=0, description="Rescan unfinished steps this often (0: only on start)."
    )
    redis_heartbeat_timeout_ms: int = Field(
        default=60_000,
        ge=1000,
        description="A Redis-broker worker silent this long is dead: its messages are redelivered.",
    )
    redis_maintenance_chance: int = Field(
        default=1000,
        ge=1,
        le=1_000_000,
        description="Per million broker commands: how often dead workers' messages are requeued.",
    )
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = Field(
        default=9191, ge=0, le=65535, description="Dramatiq metrics of `reelforge worker` (0: off)."
    )
    sandbox: bool = Field(default=True, description="Route providers without keys to emulators.")
    sandbox_state: str | None = Field(
        default=None,
        description="Where sandbox emulators keep task state, shared by every process of the "
        "deployment and kept across restarts: `database` (tables prefixed emulator_ in the "
        "deployment database, so workers on several machines share it), a SQLite file path "
        "(processes of one machine), or `memory` (this process only). Default: `database` "
        "when the deployment database is PostgreSQL, else <home>/sandbox.db.",
    )
    comfyui_emulator_extensions: str | None = Field(
        default=None,
        description="ComfyUI extensions the sandbox's emulated ComfyUI has installed: `all` "
        "(default), `none`, or comma-separated names (facerestore_cf, ComfyUI_IPAdapter_plus, "
        "ComfyUI_InstantID, ComfyUI-ReActor). Without one, templates needing it answer "
        "DEPENDENCY_MISSING, as a real server without it would.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_base_url: str | None = Field(
        default=None, description="Where providers can reach us for completion callbacks."
    )
    secret: SecretStr | None = Field(
        default=None,
        description="Key material for encrypting stored credentials; generated into <home>/secret.",
    )
    content_credentials: bool = Field(
        default=True,
        description="Sign every artifact ReelForge makes with C2PA content credentials "
        "(on|off). A run can opt out with content_credentials: false.",
    )
    c2pa_cert_chain: Path | None = Field(
        default=None,
        description="Your own PEM certificate chain (signing certificate first) for content "
        "credentials; default: a local chain generated into <home>/c2pa.",
    )
    c2pa_private_key: Path | None = Field(
        default=None, description="The unencrypted PEM private key of REELFORGE_C2PA_CERT_CHAIN."
    )
    c2pa_signer: str | None = Field(
        default=None,
        description="A remote signer: package.module:factory returning an object with alg, "
        "certificate_chain, timestamp_url and sign(data) (a KMS, an HSM, a signing service).",
    )
    c2pa_trust_anchors: Path | None = Field(
        default=None,
        description="PEM root certificates whose content credentials validate as Trusted here "
        "(besides the local root and the c2pa library's own list).",
    )
    provider_base_urls: dict[str, str] = Field(
        default_factory=dict,
        description='Override a provider\'s API base URL, e.g. {"kling": "http://127.0.0.1:9001"}.',
    )
    ca_bundle: Path | None = Field(
        default=None,
        description="A PEM file of private certificate authorities trusted (besides "
        "certifi's) by every outgoing client: adapters, downloads, webhooks, S3.",
    )
    ssl_cert_file: Path | None = Field(
        default=None,
        validation_alias="SSL_CERT_FILE",
        description="Honoured like REELFORGE_CA_BUNDLE (the usual OpenSSL variable).",
    )
    ssl_cert_dir: Path | None = Field(
        default=None,
        validation_alias="SSL_CERT_DIR",
        description="A directory of hashed CA certificates, also trusted.",
    )
    apps: str = Field(
        default=",".join(KNOWN_APPS),
        description="The products switched on (comma-separated: market, series, assets); "
        "an empty value serves the core alone. An unknown name stops the start.",
    )
    # The series platform (seed 003): x402 tip-votes, voting windows, staking.
    series_network: str = Field(
        default="base-sepolia",
        description="x402 network of series tip-votes (base or base-sepolia; USDC).",
    )
    series_pay_to: str | None = Field(
        default=None,
        description="The platform's wallet that receives x402 tips (0x address). Unset in "
        "sandbox: a sandbox address derived from the server secret; unset live: tips are off.",
    )
    series_facilitator_url: str = Field(
        default="local",
        description="x402 facilitator (POST /verify, /settle) for tip-votes; 'local' is the "
        "built-in facilitator that checks signatures itself and records settlement "
        "(sandbox and tests only: it moves no real USDC).",
    )
    series_tip_default_cents: int = Field(default=25, ge=1, description="Default tip-vote.")
    series_tip_min_cents: int = Field(default=10, ge=1, description="Smallest tip-vote.")
    series_voting_hours: float = Field(
        default=24.0, gt=0, description="Length of an agent voting period (hours)."
    )
    series_clip_voting_hours: float = Field(
        default=24.0, gt=0, description="How long humans tip-vote on a pilot's 4 clips (hours)."
    )
    series_job_seconds: float = Field(
        default=5.0, gt=0, description="How often the series' scheduled jobs look for work."
    )
    series_staking_enabled: bool = Field(
        default=False, description="Custodial staking endpoints (503 while off)."
    )
    # Series: Coinbase's hosted x402 facilitator (REELFORGE_SERIES_FACILITATOR_URL=cdp) and
    # live payouts of the creator/agent shares from payTo over an EVM JSON-RPC node.
    series_cdp_api_key_id: str | None = Field(
        default=None, description="CDP API key id for the Coinbase x402 facilitator."
    )
    series_cdp_api_key_secret: SecretStr | None = Field(
        default=None,
        description="CDP API key secret (EC PEM or base64 Ed25519) for the facilitator.",
    )
    series_payout_rpc_url: str | None = Field(
        default=None,
        description="EVM JSON-RPC URL (Base) that live payouts are sent through; unset: "
        "live payouts wait, pending.",
    )
    series_payout_key_file: Path | None = Field(
        default=None,
        description="File holding the private key (0x hex) of the payTo wallet, which pays "
        "the creator and agent shares out.",
    )
    resubmit_failed: int = Field(
        default=1,
        ge=0,
        le=5,
        description="How many times a task the provider failed (or lost) for a transient "
        "reason is submitted again; failures it does not call transient never are.",
    )
    submit_lease_seconds: float = Field(
        default=90.0,
        gt=0,
        description="How long a step's request may be on its way to the provider before "
        "another process settles it (sent again, looked up, or failed): longer than a "
        "submit call's HTTP timeout.",
    )
    unsent_lease_seconds: float = Field(
        default=45.0,
        gt=0,
        description="How soon a step leased for submission and never sent (its process "
        "stopped first) goes back to held, for providers that cannot take a request twice.",
    )
    # Retry and health timings (issue 25's fault matrix sets them short; the defaults are
    # the product's).
    provider_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Read timeout of each call to a provider's API (connect: 10 s at most).",
    )
    provider_cooldown_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a credential that failed 5 times in a row is skipped by "
        "routing, the first time (then doubling, up to 15 times as long).",
    )
    retry_base_delay_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Wait before a step's first retry at the same provider (then doubling).",
    )
    retry_max_delay_seconds: float = Field(
        default=60.0, gt=0, description="Longest wait between two retries of a step."
    )
    # Setup hub (GET /v1/setup/...): a ComfyUI the user installed, never installed for them.
    comfyui_dir: Path | None = Field(
        default=None,
        description="Folder of a ComfyUI you installed (with its main.py): the setup hub can "
        "start, stop and restart it and read its logs, and model sources download into its "
        "models/<folder>/. Unset: only a running server is used, and models go to "
        "<home>/models/.",
    )
    comfyui_port: int = Field(
        default=8188, ge=1, le=65535, description="Port the started ComfyUI listens on (127.0.0.1)."
    )
    comfyui_python: str | None = Field(
        default=None,
        description="Python that runs ComfyUI's main.py; default: its venv/ or .venv/ when "
        "present, else the Python running ReelForge.",
    )
    setup_check_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=120,
        description="Each healthcheck probe (provider, engine, tool) gets at most this long; "
        "the whole healthcheck answers within the slowest probe's limit.",
    )
    log_level: str = "INFO"
    log_json: bool = False
    # Safe fetcher
    fetch_max_bytes: int = 2 * 1024**3
    fetch_timeout_seconds: float = 120.0
    allow_private_engines: bool = Field(
        default=False,
        description="Members may point engines (a ComfyUI credential's url, model sources) at "
        "loopback and private addresses too; the owner and admins always may.",
    )
    fetch_allow_hosts: list[str] = Field(
        default_factory=list,
        description="host or host:port entries the fetcher may reach despite being private "
        "(tests and sandbox emulators on 127.0.0.1).",
    )
    # Model sources (checkpoints, LoRAs, upscalers ... downloaded for a local ComfyUI,
    # into <comfyui_dir>/models/<folder>/, or <home>/models/<folder>/ without one)
    source_max_bytes: int = Field(
        default=64 * 1024**3,
        ge=1,
        description="The largest model file a download may write (an entry's own size, when "
        "it states one, is the limit for that entry).",
    )
    upload_max_bytes: int = Field(
        default=512 * 1024**2, ge=1, description="The largest file POST /v1/uploads accepts."
    )
    max_body_bytes: int = Field(
        default=4 * 1024**2,
        ge=1024,
        description="The largest request body (JSON) any other endpoint accepts; larger ones "
        "are refused with 413 PAYLOAD_TOO_LARGE before they are read whole.",
    )
    max_prompt_chars: int = Field(
        default=20_000,
        ge=1,
        description="The most characters a prompt (or negative prompt) may have on any model; "
        "a model's own catalog limit is stricter where it has one.",
    )
    analytics_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="The longest an analytics query may take; past it the answer is "
        "200 {ok: false, message} (analytics never fail a page).",
    )
    thumbnail_max_side: int = Field(
        default=256, ge=32, le=1024, description="Gallery thumbnails' longer side in pixels."
    )
    # Billing
    credit_micros: int = Field(
        default=10_000, ge=1, description="One credit in micro-USD (10000 = $0.01)."
    )
    credit_display: CreditDisplay = Field(
        default=CreditDisplay.CREDITS, description="Show amounts as `credits` or `usd`."
    )
    plans_file: Path | None = Field(
        default=None,
        description="JSON file of billing plans; default: the built-in Free / Pro / Studio.",
    )
    default_plan: str = Field(default="free", description="The plan new users get.")
    bill_failed_provider_charges: bool = Field(
        default=False,
        description="Bill the user (not the platform) when a provider charges for a failed task.",
    )

    # Rate limits on the endpoints that start work (POST /v1/runs, /v1/generations)
    rate_limit_url: str = Field(
        default="memory://",
        description="Where rate-limit counts live: memory:// (this process) or "
        "redis://host:port/db (shared by every API node using it).",
    )
    rate_limit_prefix: str = Field(
        default="reelforge-rl", description="Prefix of the Redis keys of the rate limits."
    )
    rate_limit_user_per_minute: int = Field(
        default=120,
        ge=0,
        description="Generation requests a minute per user, times the plan's "
        "rate_limit_multiplier (0: no per-user limit).",
    )
    rate_limit_key_per_minute: int = Field(
        default=60,
        ge=0,
        description="Generation requests a minute per API key, times the plan's "
        "rate_limit_multiplier (0: no per-key limit).",
    )
    # The web studio (README "Web studio").
    session_days: float = Field(
        default=14,
        gt=0,
        le=366,
        description="How long a browser session lasts before signing in again.",
    )
    session_attempts_per_minute: int = Field(
        default=10,
        ge=0,
        description="Failed API-key sign-ins (POST /v1/session) allowed per client address "
        "per minute before 429 RATE_LIMITED (0: no limit).",
    )
    web_dist: Path | None = Field(
        default=None,
        description="Folder of the built web studio (index.html, assets/); default: the "
        "bundle inside the package (src/reelforge/web_dist).",
    )
    assets_guest_per_minute: int = Field(
        default=10,
        ge=0,
        description="Asset studio: generation requests a minute per guest IP address "
        "(signed-in users get rate_limit_user_per_minute times their plan's multiplier).",
    )
    uiux_llm_base_url: str | None = Field(
        default=None,
        description="Asset studio UI/UX code: an OpenAI-compatible API (…/v1). Unset in "
        "sandbox mode: the built-in chat emulator answers.",
    )
    uiux_llm_model: str = Field(default="gpt-4o-mini", description="The UI/UX code model.")
    chromium_path: Path | None = Field(
        default=None,
        description="Asset studio UI/UX previews: the Chromium (or Chrome) binary that renders "
        "them; default /usr/bin/chromium, else chromium on PATH. Without one a preview request "
        "answers 424 DEPENDENCY_MISSING.",
    )
    prompt_engine: str = Field(
        default="oss",
        validation_alias=AliasChoices("REELFORGE_PROMPT_ENGINE", "PROMPT_ENGINE", "prompt_engine"),
        description="Asset studio prompt engine: oss (each mode's own builders).",
    )
    # --- asset studio OAuth sign-in (apps/assets/oauth.py) ---
    assets_oauth: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='Asset studio sign-in with GitHub/Google: {"github": {"client_id": …, '
        '"client_secret": …}} (optional authorize_url, token_url, userinfo_url, emails_url '
        "override the provider's; a provider without client_id is not offered).",
    )
    rate_limit_exempt_roles: list[str] = Field(
        default_factory=lambda: ["owner"],
        description="Roles not rate limited (the owner runs the instance).",
    )

    @field_validator("rate_limit_url")
    @classmethod
    def _rate_limit_url(cls, value: str) -> str:
        schemes = ("memory", "redis", "rediss", "redis+unix", "redis+cluster", "redis+sentinel")
        scheme = value.removeprefix("async+").split("://", 1)[0]
        if "://" not in value or scheme not in schemes:
            raise ValueError(f"use memory:// or redis://host:port/db (one of {', '.join(schemes)})")
        return value

    @field_validator("rate_limit_exempt_roles")
    @classmethod
    def _exempt_roles(cls, value: list[str]) -> list[str]:
        roles = {"owner", "admin", "member", "agent"}
        unknown = [r for r in value if r not in roles]
        if unknown:
            raise ValueError(f"unknown role(s) {unknown}: use owner, admin, member or agent")
        return value

    @field_validator("apps")
    @classmethod
    def _known_apps(cls, value: str) -> str:
        names = [part.strip().lower() for part in value.split(",") if part.strip()]
        unknown = [name for name in names if name not in KNOWN_APPS]
        if unknown:
            # A ReelForgeError, not a ValueError: pydantic lets it through as it is, so
            # `reelforge serve` prints the code and the fix instead of a traceback.
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"REELFORGE_APPS names {'products' if len(unknown) > 1 else 'a product'} "
                f"ReelForge does not have: {', '.join(unknown)}. "
                f"The products are {', '.join(KNOWN_APPS)}.",
                remediation=(
                    "Set REELFORGE_APPS to a comma-separated list of those "
                    f"(e.g. REELFORGE_APPS={','.join(KNOWN_APPS)}), or to an empty value "
                    "for the core alone; leave a product out to switch it off.",
                ),
                detail={"setting": "REELFORGE_APPS", "unknown": unknown, "known": list(KNOWN_APPS)},
            )
        return ",".join(dict.fromkeys(names))

    @field_validator("home", mode="before")
    @classmethod
    def _expand_home(cls, value: object) -> object:
        if isinstance(value, str):
            return Path(value).expanduser()
        if isinstance(value, Path):
            return value.expanduser()
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.home / 'reelforge.db'}"

    @property
    def resolved_sandbox_state(self) -> Path | str | None:
        """Where sandbox emulators keep task state: a SQLite file, a database URL (the
        deployment's own), or None to keep it in memory."""
        choice = (self.sandbox_state or "").strip()
        database = self.resolved_database_url
        if not choice:
            return database if database.startswith("postgresql") else self.home / "sandbox.db"
        if choice.lower() == "memory":
            return None
        if choice.lower() == "database":
            return database
        return choice if "://" in choice else Path(choice).expanduser()

    @property
    def models_dir(self) -> Path:
        """Where model sources are downloaded: ComfyUI's models/ folder, else <home>/models."""
        base = self.comfyui_dir.expanduser() if self.comfyui_dir is not None else self.home
        return base / "models"

    @property
    def resolved_artifact_store_url(self) -> str:
        return self.artifact_store_url or str(self.home / "artifacts")

    @property
    def enabled_apps(self) -> set[str]:
        """The products switched on by REELFORGE_APPS."""
        return {part.strip() for part in self.apps.split(",") if part.strip()}

    @property
    def ca_bundles(self) -> list[Path]:
        """Every private CA source set (REELFORGE_CA_BUNDLE, SSL_CERT_FILE, SSL_CERT_DIR)."""
        found = [self.ca_bundle, self.ssl_cert_file, self.ssl_cert_dir]
        return list(dict.fromkeys(p for p in found if p is not None))

    @property
    def secret_path(self) -> Path:
        return self.home / "secret"

    @property
    def c2pa_dir(self) -> Path:
        """The local content-credentials signing key and certificate chain."""
        return self.home / "c2pa"

    @property
    def owner_key_path(self) -> Path:
        return self.home / "owner.key"
