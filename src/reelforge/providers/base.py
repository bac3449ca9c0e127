"""The provider protocol: submit, poll, and optional cancel / verify / balance / health.

Submit and poll are separate so a run survives a crash: the task id is stored before
anything else happens, and a restarted worker resumes polling instead of paying twice.
A provider that answers the submission with the outcome returns it in
``ProviderTask.result``: there is then nothing to poll.
Adapters speak the provider's real HTTP contract, use the injected ``httpx.AsyncClient``,
and translate every failure into a ``ReelForgeError`` once, at the boundary.
"""

from __future__ import annotations

import functools
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode


class TaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in (TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELED)


class InputMedia(BaseModel):
    """A media input handed to a provider: a URL it can fetch (or a data: URI)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: MediaKind
    url: str
    slot: str | None = None  # e.g. "image", "end_image", "audio", "video"


class GenerationRequest(BaseModel):
    """What to generate, in ReelForge's terms; the adapter maps it to the wire format."""

    model_config = ConfigDict(extra="forbid")

    model: str  # the provider's own model id (catalog entries map ours to theirs)
    mode: Mode
    prompt: str = ""
    negative_prompt: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: list[InputMedia] = Field(default_factory=list)
    seed: int | None = None
    callback_url: str | None = None
    # Client-chosen id, stable across retries of the same step (Runware task UUIDs,
    # Idempotency-Key headers). Adapters whose provider supports it must send it.
    idempotency_key: str | None = None

    def input_of(self, kind: MediaKind, slot: str | None = None) -> InputMedia | None:
        for item in self.inputs:
            if item.kind is kind and (slot is None or item.slot in (None, slot)):
                return item
        return None


class OutputMedia(BaseModel):
    url: str
    media_type: MediaKind
    content_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


class TaskUpdate(BaseModel):
    status: TaskStatus
    progress: float | None = None  # 0..1 when the provider says
    outputs: list[OutputMedia] = Field(default_factory=list)
    error: dict[str, Any] | None = None  # ReelForgeError.to_dict() for failed tasks
    cost_micros: int | None = None  # what the provider says it charged, when it says
    poll_after_seconds: float | None = None  # provider's suggested next poll
    message: str | None = None  # queue position, log line ...

    def raise_for_error(self) -> None:
        if self.status is TaskStatus.FAILED:
            err = self.error or {}
            raise ReelForgeError(
                ErrorCode(err.get("code", ErrorCode.PROVIDER_ERROR)),
                err.get("message"),
                detail=err.get("detail"),
                retryable=err.get("retryable"),
            )


class ProviderTask(BaseModel):
    """A submitted task: everything needed to poll or cancel it later, from any process."""

    provider: str
    task_id: str
    model: str
    mode: Mode
    # Adapter-specific facts needed to poll (e.g. the endpoint family or a status URL).
    meta: dict[str, Any] = Field(default_factory=dict)
    poll_interval_seconds: float | None = None
    # The outcome, when the provider answered the submission with it (a synchronous API:
    # xAI images, Replicate ``Prefer: wait``, Runware sync delivery, Together ...). The
    # engine collects it in the same advance and never polls; a worker resuming from the
    # stored task reads it here instead of asking (or paying) the provider again.
    result: TaskUpdate | None = None

    @property
    def in_hand(self) -> TaskUpdate | None:
        """The terminal outcome carried from the submission, else None (poll as usual)."""
        return self.result if self.result is not None and self.result.status.terminal else None


class GenerationResult(BaseModel):
    task: ProviderTask
    outputs: list[OutputMedia]
    model: str
    cost_micros: int | None = None
    sandbox: bool = False

    @property
    def url(self) -> str:
        return self.outputs[0].url

    @property
    def media_type(self) -> MediaKind:
        return self.outputs[0].media_type


@dataclass(frozen=True)
class Credential:
    """A provider key, resolved at call time. ``values`` never reach logs or responses."""

    provider: str
    values: Mapping[str, str]
    source: str  # "stored" | "env" | "sandbox" | "none"

    def get(self, name: str) -> str:
        value = self.values.get(name)
        if not value:
            raise ReelForgeError(
                ErrorCode.AUTH_FAILED,
                f"No {name} configured for {self.provider}.",
                detail={"provider": self.provider, "missing": name},
            )
        return value

    def __repr__(self) -> str:  # never print the values
        return f"Credential(provider={self.provider!r}, source={self.source!r}, fields={sorted(self.values)})"

    @functools.cached_property
    def key(self) -> str:
        """``provider:source[:fingerprint]``: names the credential (for limits and health)
        without revealing it; computed once per credential (every provider call asks)."""
        if self.source in ("sandbox", "none") or not self.values:
            return f"{self.provider}:{self.source}"
        blob = json.dumps(dict(sorted(self.values.items()))).encode()
        return f"{self.provider}:{self.source}:{hashlib.sha256(blob).hexdigest()[:12]}"


@dataclass(frozen=True)
class CredentialField:
    name: str  # our field name, e.g. "api_key", "access_key"
    env_vars: tuple[str, ...]  # documented environment variables, first wins
    secret: bool = True


@dataclass
class Health:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Balance:
    amount: float | None  # in the provider's own unit, for display only
    unit: str  # "credits", "USD", ...
    detail: dict[str, Any] = field(default_factory=dict)


class Provider(ABC):
    """One provider's adapter. Instances are cheap; they hold the shared client and base URL."""

    name: ClassVar[str]  # provider key: "kling", "runway", "local", ...
    display_name: ClassVar[str]
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    # True when the provider also works without a key (e.g. Pollinations' free endpoint).
    credential_optional: ClassVar[bool] = False
    default_base_url: ClassVar[str] = ""
    default_poll_interval: ClassVar[float] = 5.0
    supports_cancel: ClassVar[bool] = False
    supports_callbacks: ClassVar[bool] = False
    # True when submit can be safely repeated with the same idempotency_key.
    idempotent_submit: ClassVar[bool] = False
    # True when a submission whose answer was lost (the process died while the request
    # was in flight) can be found again at the provider (``find_submitted``); without
    # it, nor ``idempotent_submit``, such a step fails rather than risk a second charge.
    reconcilable: ClassVar[bool] = False
    # Why (or how) a lost submission is found again, or why it cannot be: said in the
    # run of a step that could not be reconciled, and by ``reconciliation``.
    reconcile_note: ClassVar[str] = "the provider offers no way to find a task again"

    @classmethod
    def reconciliation(cls) -> str:
        """How a submission cut short by a crash is settled: ``idempotent`` (sent again
        with the same key), ``lookup`` (found at the provider) or ``none``."""
        if cls.idempotent_submit:
            return "idempotent"
        return "lookup" if cls.reconcilable else "none"

    @classmethod
    def needs_url(cls, mode: Mode, kind: MediaKind) -> bool:
        """True when the provider must fetch this input itself from a URL (it takes no
        inline data): the engine then hands it a presigned S3 URL or a signed link, or
        refuses before Run, naming the setting (REELFORGE_PUBLIC_BASE_URL or S3)."""
        return False

    def __init__(self, client: httpx.AsyncClient, base_url: str | None = None) -> None:
        self.client = client
        self.base_url = (base_url or self.default_base_url).rstrip("/")

    @property
    def needs_credential(self) -> bool:
        return bool(self.credential_fields)

    @abstractmethod
    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        """Start the work; return as soon as the provider has given a task id."""

    @abstractmethod
    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        """Ask for the task's state once. Failures of the task come back as FAILED updates;
        failures to ask (network, auth, rate limit) raise ReelForgeError."""

    async def cancel(self, task: ProviderTask, credential: Credential) -> bool:
        return False

    async def find_submitted(
        self, request: GenerationRequest, credential: Credential, *, sent_at: float
    ) -> list[ProviderTask]:
        """For a ``reconcilable`` provider: the tasks that ``request``, sent at ``sent_at``
        (epoch seconds) and whose answer was lost, may have made, most likely first (the
        engine takes the first no other step holds). [] means the provider has no such
        task: the request never reached it. Raises ReelForgeError when it cannot tell."""
        return []

    async def verify(self, credential: Credential) -> bool:
        """Check the credential with the cheapest authenticated call; raise AUTH_FAILED."""
        await self.balance(credential)
        return True

    async def balance(self, credential: Credential) -> Balance | None:
        return None

    async def health(self) -> Health:
        return Health(ok=True)

    async def missing_dependencies(
        self,
        model: str,
        credential: Credential | None = None,
        *,
        params: dict[str, Any] | None = None,
    ) -> list[str]:
        """What the provider lacks to run ``model`` (its own model id), asked before
        anything is paid for: ``extension:<name>``, ``node:<type>``, ``model:<file>``.
        Hosted providers have everything they list: []. (ComfyUI checks its server.)"""
        return []

    async def check_dependencies(
        self,
        model: str,
        credential: Credential | None = None,
        *,
        params: dict[str, Any] | None = None,
    ) -> None:
        """Raise DEPENDENCY_MISSING naming what to install when ``model`` cannot run here."""
        return None
