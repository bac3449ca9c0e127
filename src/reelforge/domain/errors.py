"""The one error taxonomy: every failure a user can see has a code, a message,
remediation steps, an HTTP status and whether retrying can help.

Adapters translate outside failures into ``ReelForgeError`` once, at the boundary
(as httpx does with its transports), so callers branch on ``code`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    CONTRACT_MISMATCH = "CONTRACT_MISMATCH"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    MODE_MISMATCH = "MODE_MISMATCH"
    AUTH_FAILED = "AUTH_FAILED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    CSRF_FAILED = "CSRF_FAILED"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    PROVIDER_OUT_OF_CREDIT = "PROVIDER_OUT_OF_CREDIT"
    PROVIDER_TASK_LOST = "PROVIDER_TASK_LOST"
    ENGINE_OFFLINE = "ENGINE_OFFLINE"
    ENGINE_TIMEOUT = "ENGINE_TIMEOUT"
    DEPENDENCY_MISSING = "DEPENDENCY_MISSING"
    PROVIDER_ERROR = "PROVIDER_ERROR"
    SAFETY_FILTER = "SAFETY_FILTER"
    CONSENT_MISSING = "CONSENT_MISSING"
    FILE_NOT_FOUND = "FILE_NOT_FOUND"
    UNSUPPORTED_MEDIA = "UNSUPPORTED_MEDIA"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    LICENSE_UNKNOWN = "LICENSE_UNKNOWN"
    CHECKSUM_MISSING = "CHECKSUM_MISSING"
    CHECKSUM_MISMATCH = "CHECKSUM_MISMATCH"
    UNSAFE_URL = "UNSAFE_URL"
    CERTIFICATE_ERROR = "CERTIFICATE_ERROR"
    PUBLIC_URL_REQUIRED = "PUBLIC_URL_REQUIRED"
    CATALOG_UNAVAILABLE = "CATALOG_UNAVAILABLE"
    PRICE_UNKNOWN = "PRICE_UNKNOWN"
    CANCELED = "CANCELED"
    # The series platform's codes (seed 003 keeps these names exactly).
    STUDIO_LIMIT_REACHED = "STUDIO_LIMIT_REACHED"
    CATEGORY_OCCUPIED = "CATEGORY_OCCUPIED"
    SCRIPT_RATE_LIMITED = "SCRIPT_RATE_LIMITED"
    INVALID_SCRIPT = "INVALID_SCRIPT"
    VOTING_CLOSED = "VOTING_CLOSED"
    SELF_VOTE = "SELF_VOTE"
    DUPLICATE_VOTE = "DUPLICATE_VOTE"
    INACTIVE_STUDIO = "INACTIVE_STUDIO"
    PAYMENT_REQUIRED = "PAYMENT_REQUIRED"
    PAYMENT_INVALID = "PAYMENT_INVALID"
    NOT_CLAIMED = "NOT_CLAIMED"
    FEATURE_DISABLED = "FEATURE_DISABLED"
    INTERNAL_ERROR = "INTERNAL_ERROR"

    @property
    def info(self) -> ErrorInfo:
        return ERROR_INFO[self]


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    message: str
    remediation: tuple[str, ...]
    http_status: int
    retryable: bool


ERROR_INFO: dict[ErrorCode, ErrorInfo] = {
    ErrorCode.VALIDATION_ERROR: ErrorInfo(
        "The request has invalid values.",
        ("Check the fields named in `detail` and send the request again.",),
        422,
        False,
    ),
    ErrorCode.CONTRACT_MISMATCH: ErrorInfo(
        "The request has fields this endpoint does not accept, or lacks required ones.",
        ("See /openapi.json (or the model's schema) for the fields that are allowed.",),
        422,
        False,
    ),
    ErrorCode.NOT_FOUND: ErrorInfo(
        "Not found.",
        ("Check the id or path (GET /v1/... lists what exists).",),
        404,
        False,
    ),
    ErrorCode.CONFLICT: ErrorInfo(
        "The request conflicts with the current state.",
        ("Reload the resource and try again with its current state.",),
        409,
        False,
    ),
    ErrorCode.MODE_MISMATCH: ErrorInfo(
        "The asset belongs to another mode; modes never share workspaces or galleries.",
        ("Use a workspace of the same mode, or export the asset and import it explicitly.",),
        409,
        False,
    ),
    ErrorCode.AUTH_FAILED: ErrorInfo(
        "Authentication failed.",
        ("Send `Authorization: Bearer <key>` with a valid ReelForge API key.",),
        401,
        False,
    ),
    ErrorCode.FORBIDDEN: ErrorInfo(
        "You are not allowed to do this.",
        ("Ask an owner or admin for the needed role.",),
        403,
        False,
    ),
    ErrorCode.CSRF_FAILED: ErrorInfo(
        "A signed-in browser write came without its CSRF token.",
        (
            "Send the header `X-CSRF-Token` with the `csrf_token` of GET /v1/session "
            "(also in the `rf_csrf` cookie).",
            "Scripts: use `Authorization: Bearer <key>` instead of the session cookie.",
        ),
        403,
        False,
    ),
    ErrorCode.VERSION_CONFLICT: ErrorInfo(
        "Someone saved a newer version meanwhile.",
        ("Reload the latest version, apply your change to it, and save again.",),
        409,
        False,
    ),
    ErrorCode.RATE_LIMITED: ErrorInfo(
        "Too many requests.",
        ("Wait for the time given in `retry_after` (seconds) and try again.",),
        429,
        True,
    ),
    ErrorCode.INSUFFICIENT_FUNDS: ErrorInfo(
        "Not enough credits.",
        (
            "Top up credits or upgrade the plan.",
            "Or choose a cheaper model, or a local engine (free).",
        ),
        402,
        False,
    ),
    # A budget the user (or an admin) set on spend with their own keys: a hard stop,
    # refused before any provider is called. Plan credits are not involved.
    ErrorCode.BUDGET_EXCEEDED: ErrorInfo(
        "This run would go over the budget set for spend on your own provider keys.",
        (
            "Raise or remove the budget: PUT /v1/me/budget (or the key's: "
            "PUT /v1/providers/{provider}/credential/budget).",
            "Or wait for the next period (budgets reset each calendar month, UTC), or "
            "choose a cheaper model.",
        ),
        402,
        False,
    ),
    # The user's account at the provider (their own key), not their ReelForge balance:
    # a client branching on the code can tell the two apart.
    ErrorCode.PROVIDER_OUT_OF_CREDIT: ErrorInfo(
        "The provider account is out of credit.",
        (
            "Top up your account with the provider (`detail.top_up_url` when known).",
            "Or use another model or provider; your ReelForge balance was not charged.",
        ),
        424,
        False,
    ),
    # A task we submitted that the provider no longer knows (it expired or lost it).
    # Nothing was delivered, so nothing is charged; the engine resubmits it as it does a
    # transient task failure (REELFORGE_RESUBMIT_FAILED times), then falls back or fails.
    ErrorCode.PROVIDER_TASK_LOST: ErrorInfo(
        "The provider no longer knows the task ReelForge submitted (it expired or was lost).",
        (
            "You were not charged for it. ReelForge resubmits a lost task "
            "(REELFORGE_RESUBMIT_FAILED times); run it again if it still failed.",
        ),
        502,
        True,
    ),
    ErrorCode.ENGINE_OFFLINE: ErrorInfo(
        "The engine is not available.",
        (
            "See `reelforge providers list` (GET /v1/providers) for what is connected.",
            "For a local engine, check that it is running and reachable.",
        ),
        503,
        True,
    ),
    ErrorCode.ENGINE_TIMEOUT: ErrorInfo(
        "The engine did not finish in time.",
        (
            "The task may still finish: resume polling with the task id in `detail`.",
            "Or try again later, or with a shorter duration.",
        ),
        504,
        True,
    ),
    ErrorCode.DEPENDENCY_MISSING: ErrorInfo(
        "Something this needs is not installed.",
        ("Install what `detail` names, then try again.",),
        424,
        False,
    ),
    ErrorCode.PROVIDER_ERROR: ErrorInfo(
        "The provider failed to process the request.",
        ("Try again; if it keeps failing, try another model or provider.",),
        502,
        True,
    ),
    ErrorCode.SAFETY_FILTER: ErrorInfo(
        "The provider's safety filter refused this content.",
        ("Rephrase the prompt or change the input media; retrying as-is will not help.",),
        422,
        False,
    ),
    ErrorCode.CONSENT_MISSING: ErrorInfo(
        "Identity-based work needs consent.",
        (
            "Identity-based workflows require consent.",
            "Set the consent flag ('I have permission to use this face') and try again.",
        ),
        422,
        False,
    ),
    ErrorCode.FILE_NOT_FOUND: ErrorInfo(
        "An input file was not found.",
        ("Upload the file again and use the new artifact id.",),
        404,
        False,
    ),
    ErrorCode.UNSUPPORTED_MEDIA: ErrorInfo(
        "The media is not supported.",
        ("Use a supported format (PNG/JPEG/WebP images, MP4/WebM video, WAV/MP3 audio).",),
        415,
        False,
    ),
    ErrorCode.PAYLOAD_TOO_LARGE: ErrorInfo(
        "The request is too large.",
        ("Send a smaller request or file (the limit is in `detail.limit_bytes`).",),
        413,
        False,
    ),
    ErrorCode.LICENSE_UNKNOWN: ErrorInfo(
        "The model's license is unknown.",
        (
            "Model has unknown license. Verify license before using.",
            "If unsure, contact the model creator or use a different model.",
        ),
        422,
        False,
    ),
    ErrorCode.CHECKSUM_MISSING: ErrorInfo(
        "The file has no checksum to verify it against.",
        ("Add a SHA-256 checksum, or acknowledge that you download at your own risk.",),
        422,
        False,
    ),
    ErrorCode.CHECKSUM_MISMATCH: ErrorInfo(
        "The file does not match its checksum.",
        ("The download is corrupt or was tampered with; download it again from its source.",),
        422,
        False,
    ),
    ErrorCode.UNSAFE_URL: ErrorInfo(
        "The URL is not allowed.",
        ("Use a public http(s) URL; private, loopback and metadata addresses are refused.",),
        400,
        False,
    ),
    # Behind a corporate TLS proxy, or a self-hosted S3 on a private CA: a setting to
    # change, so never retried.
    ErrorCode.CERTIFICATE_ERROR: ErrorInfo(
        "The server's TLS certificate is not trusted.",
        (
            "If the host uses a private certificate authority (a corporate TLS proxy, a "
            "self-hosted S3/MinIO), set REELFORGE_CA_BUNDLE (or SSL_CERT_FILE) to a PEM file "
            "with that CA and restart ReelForge.",
            "Otherwise check the host name in `detail.host`: its certificate may be expired "
            "or issued for another name.",
        ),
        502,
        False,
    ),
    ErrorCode.PUBLIC_URL_REQUIRED: ErrorInfo(
        "The provider fetches its inputs by URL, and this server has none to give it.",
        (
            "Set REELFORGE_PUBLIC_BASE_URL to an address the provider can reach (ReelForge then "
            "hands it signed links that expire), or store artifacts in S3 "
            "(REELFORGE_ARTIFACT_STORE_URL=s3://bucket/prefix: presigned URLs).",
            "Or choose a model whose provider takes inline data.",
        ),
        422,
        False,
    ),
    ErrorCode.CATALOG_UNAVAILABLE: ErrorInfo(
        "The model catalog could not be loaded.",
        ("Try again in a minute; the provider's catalog endpoint is not answering.",),
        502,
        True,
    ),
    ErrorCode.PRICE_UNKNOWN: ErrorInfo(
        "The model's price is unknown, so the run cannot be held for.",
        (
            "Give the node a `max_micros` cap: it is held, and the step is charged at most that.",
            "Or have the owner or an admin set a price (or a per-run cap) for the model: "
            "PUT /v1/models/{model}/price.",
        ),
        422,
        False,
    ),
    ErrorCode.CANCELED: ErrorInfo(
        "The work was canceled.",
        ("Start it again if this was not intended.",),
        409,
        False,
    ),
    ErrorCode.STUDIO_LIMIT_REACHED: ErrorInfo(
        "The agent already has the maximum of 10 studios.",
        ("Abandon a studio (DELETE /api/v1/studios/{id}) to free a slot.",),
        409,
        False,
    ),
    ErrorCode.CATEGORY_OCCUPIED: ErrorInfo(
        "The agent already has a studio in this genre.",
        ("Use the existing studio of this category, or pick another category.",),
        409,
        False,
    ),
    ErrorCode.SCRIPT_RATE_LIMITED: ErrorInfo(
        "Too many scripts submitted recently.",
        ("Wait for the time given in Retry-After (seconds) and try again.",),
        429,
        True,
    ),
    ErrorCode.INVALID_SCRIPT: ErrorInfo(
        "The script failed validation.",
        ("Fix every violation listed in `detail.violations` (each names its JSON path).",),
        422,
        False,
    ),
    ErrorCode.VOTING_CLOSED: ErrorInfo(
        "Voting is closed for this item.",
        ("Vote only on scripts listed by GET /api/v1/scripts/voting.",),
        409,
        False,
    ),
    ErrorCode.SELF_VOTE: ErrorInfo(
        "An agent cannot vote on its own scripts.",
        ("Vote on other agents' scripts.",),
        403,
        False,
    ),
    ErrorCode.DUPLICATE_VOTE: ErrorInfo(
        "This vote was already cast.",
        ("One vote per script per agent (one tip-vote per wallet per clip variant).",),
        409,
        False,
    ),
    ErrorCode.INACTIVE_STUDIO: ErrorInfo(
        "The studio is marked inactive.",
        ("Create a new studio in this category (POST /api/v1/studios).",),
        409,
        False,
    ),
    ErrorCode.PAYMENT_REQUIRED: ErrorInfo(
        "Payment required.",
        ("Sign one of the `accepts` payment requirements and retry with X-PAYMENT.",),
        402,
        False,
    ),
    ErrorCode.PAYMENT_INVALID: ErrorInfo(
        "The payment was refused.",
        ("Sign a fresh authorization for the requirements of the 402 answer and retry.",),
        402,
        False,
    ),
    ErrorCode.NOT_CLAIMED: ErrorInfo(
        "This needs a claimed (active) agent.",
        ("Complete the claim flow: POST /api/v1/agents/claim with the claim token.",),
        403,
        False,
    ),
    ErrorCode.FEATURE_DISABLED: ErrorInfo(
        "This feature is not enabled on this server.",
        ("Ask the operator to enable and configure it.",),
        503,
        False,
    ),
    ErrorCode.INTERNAL_ERROR: ErrorInfo(
        "Something went wrong on our side.",
        ("Try again; if it persists, report it with the request id.",),
        500,
        True,
    ),
}


def provider_key_steps(
    provider: str, env_vars: list[str] | tuple[str, ...] = ()
) -> tuple[str, ...]:
    """How to give ReelForge a provider's key (the API and CLI that exist, nothing else)."""
    steps = [
        f"Store your {provider} key: PUT /v1/providers/{provider}/credential "
        '(body {"values": {...}}); it is encrypted at rest.'
    ]
    if env_vars:
        steps.append(f"Or set {', '.join(env_vars)} in the server's environment.")
    steps.append(f"Then check it with `reelforge providers test {provider}`.")
    return tuple(steps)


def _fields(detail: dict[str, Any], key: str) -> list[str]:
    value = detail.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def situational_remediation(code: ErrorCode, detail: dict[str, Any]) -> tuple[str, ...]:
    """The steps that fit this failure, read from its facts (``detail``); the code's own
    steps when nothing more specific is known. A caller's explicit remediation wins."""
    if code is ErrorCode.CONTRACT_MISMATCH:
        steps = []
        if unknown := _fields(detail, "unknown_fields"):
            steps.append(f"Remove the unknown field(s): {', '.join(unknown)}.")
        if missing := _fields(detail, "missing_fields"):
            steps.append(f"Add the required field(s): {', '.join(missing)}.")
        return (*steps, *code.info.remediation)
    provider = detail.get("provider")
    if code is ErrorCode.AUTH_FAILED and isinstance(provider, str):
        return (
            f"The provider {provider} rejected the key it was given: your ReelForge key is fine.",
            *provider_key_steps(provider, _fields(detail, "env_vars")),
        )
    if code is ErrorCode.ENGINE_OFFLINE and isinstance(provider, str):
        return (
            *provider_key_steps(provider, _fields(detail, "env_vars")),
            "Or turn sandbox mode on (REELFORGE_SANDBOX=true) to try it with emulated results.",
        )
    if code is ErrorCode.PROVIDER_OUT_OF_CREDIT and isinstance(provider, str):
        url = detail.get("top_up_url")
        where = f" ({url})" if isinstance(url, str) else ""
        return (
            f"Top up your account at {provider}{where}: it is the provider's balance that "
            "ran out, not your ReelForge credits.",
            "Or choose a model another provider serves (fallbacks do this on their own).",
        )
    if code is ErrorCode.PRICE_UNKNOWN:
        models = _fields(detail, "models") or ["{model}"]
        return (
            "Give the node a `max_micros` cap: it is held, and the step is charged at most that.",
            "Or have the owner or an admin set a price (or a per-run cap): "
            + ", ".join(f"PUT /v1/models/{m}/price" for m in models)
            + ".",
        )
    if code is ErrorCode.NOT_FOUND:
        problems = detail.get("problems")
        first = problems[0] if isinstance(problems, list) and problems else {}
        if "model" in detail or (isinstance(first, dict) and first.get("field") == "model"):
            return ("List the model ids with GET /v1/models or `reelforge models list`.",)
        for key, listing in (
            ("run_id", "GET /v1/runs (or `reelforge runs list`)"),
            ("artifact_id", "the run that made it, or GET /v1/runs/{id}"),
        ):
            if key in detail:
                return (f"Check the id; {listing} shows yours (each user sees only their own).",)
    return code.info.remediation


class ReelForgeError(Exception):
    """A failure with a code from the taxonomy.

    ``detail`` carries structured facts (field names, a task id to resume, limits);
    it must never carry secrets. ``retryable`` defaults to the code's own.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        *,
        detail: dict[str, Any] | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        remediation: tuple[str, ...] | None = None,
    ) -> None:
        self.code = ErrorCode(code)
        self.message = message or self.code.info.message
        self.detail = dict(detail or {})
        self.retryable = self.code.info.retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.remediation = remediation or situational_remediation(self.code, self.detail)
        super().__init__(f"{self.code}: {self.message}")

    @property
    def http_status(self) -> int:
        # A provider refusing its key is not the caller failing to authenticate with us:
        # 424 (a dependency failed), so clients do not drop their own valid key.
        if self.code is ErrorCode.AUTH_FAILED and self.detail.get("provider"):
            return 424
        return self.code.info.http_status

    def to_dict(self) -> dict[str, Any]:
        detail = dict(self.detail)
        if self.retry_after is not None:
            detail.setdefault("retry_after", self.retry_after)
        return {
            "code": str(self.code),
            "message": self.message,
            "remediation": list(self.remediation),
            "detail": detail,
            "retryable": self.retryable,
        }

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps the error intact across processes (workers, durable execution).
        return (
            _rebuild,
            (
                self.code,
                self.message,
                self.detail,
                self.retryable,
                self.retry_after,
                self.remediation,
            ),
        )


def _rebuild(
    code: ErrorCode,
    message: str,
    detail: dict[str, Any],
    retryable: bool,
    retry_after: float | None,
    remediation: tuple[str, ...],
) -> ReelForgeError:
    return ReelForgeError(
        code,
        message,
        detail=detail,
        retryable=retryable,
        retry_after=retry_after,
        remediation=remediation,
    )
