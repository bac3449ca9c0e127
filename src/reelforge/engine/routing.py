"""Retries and fallbacks of one step: which failures are retried, when, and when the step
moves on to its next option (a fallback model) instead.

- Transient failures (a retryable provider error, the provider unreachable, rate limits)
  are retried on the same model with exponential backoff and jitter, never sooner than a
  ``Retry-After`` the provider gave, at most ``max_attempts`` times per model and within
  ``max_seconds`` for the whole step.
- The step falls back to its next option when retrying the same model does not make
  sense: the provider is not connected or rejects the key, is out of credit, timed out,
  asks for a wait longer than ``long_wait``, or kept failing after its retries.
- A safety refusal or an invalid request never falls back (another model would only be
  asked the same thing) and is never retried.

The step's route (``steps.route``) records the option it is on and every attempt, so the
run says which model served each step and why; it survives restarts like the step does.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError

HISTORY_LIMIT = 40

NEVER_FALL_BACK = frozenset(
    {
        ErrorCode.SAFETY_FILTER,
        ErrorCode.VALIDATION_ERROR,
        ErrorCode.CONTRACT_MISMATCH,
        ErrorCode.CONSENT_MISSING,
        ErrorCode.UNSUPPORTED_MEDIA,
        ErrorCode.PAYLOAD_TOO_LARGE,
        ErrorCode.FILE_NOT_FOUND,
        ErrorCode.UNSAFE_URL,
        ErrorCode.CANCELED,
    }
)
# The model cannot serve this now, and trying it again soon will not change that.
FALL_BACK_AT_ONCE = frozenset(
    {
        ErrorCode.PROVIDER_OUT_OF_CREDIT,
        ErrorCode.AUTH_FAILED,
        ErrorCode.ENGINE_TIMEOUT,
        ErrorCode.NOT_FOUND,
        ErrorCode.DEPENDENCY_MISSING,
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3  # submissions of one model before falling back
    base_delay: float = 2.0  # seconds before the first retry (then doubling)
    max_delay: float = 60.0
    max_seconds: float = 900.0  # the whole step's retrying and falling back
    long_wait: float = 30.0  # a Retry-After longer than this moves on to a fallback
    # Resubmissions of a task the provider failed (or lost) for a transient reason. A
    # failure it does not call transient (invalid input, moderation, unexplained) is never
    # resubmitted: a provider that bills failed tasks would bill each resubmission too.
    resubmits: int = 1

    def backoff(self, attempt: int) -> float:
        """Exponential with "equal jitter": half fixed, half random, so retries of many
        steps that failed together spread out instead of arriving together again."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class Verdict(StrEnum):
    RETRY = "retry"
    FALLBACK = "fallback"
    FAIL = "fail"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    delay: float = 0.0
    reason: str = ""


def retry_delay(exc: ReelForgeError, attempt: int, policy: RetryPolicy) -> float:
    """The backoff, but never sooner than the provider's Retry-After."""
    delay = policy.backoff(attempt)
    if exc.retry_after is not None:
        # A little over what was asked: clocks and queues are not exact.
        delay = max(delay, exc.retry_after * random.uniform(1.02, 1.1) + 0.05)
    return delay


def decide(
    exc: ReelForgeError,
    *,
    tries: int,
    has_next: bool,
    elapsed: float,
    policy: RetryPolicy,
    task_failed: bool = False,
) -> Decision:
    """What to do after ``exc`` on the ``tries``-th submission of the current option.
    ``task_failed``: the provider took the task and then failed (or lost) it, so another
    submission is another task (and maybe another charge), not a repeated request."""
    code = exc.code
    move_on = Verdict.FALLBACK if has_next else Verdict.FAIL
    if code in NEVER_FALL_BACK:
        return Decision(Verdict.FAIL, reason=f"{code}: never retried or routed elsewhere")
    if task_failed and code not in FALL_BACK_AT_ONCE:
        if not exc.retryable:
            return Decision(
                move_on, reason=f"{code}: the provider failed the task; not resubmitted"
            )
        if tries > policy.resubmits:
            return Decision(move_on, reason=f"{code}: still failing after {tries} task(s)")
        delay = retry_delay(exc, tries, policy)
        if elapsed + delay > policy.max_seconds:
            return Decision(move_on, reason=f"{code}: retry time for this step used up")
        return Decision(Verdict.RETRY, delay=delay, reason=f"{code}: transient, resubmitted")
    if code in FALL_BACK_AT_ONCE or (code is ErrorCode.ENGINE_OFFLINE and not exc.retryable):
        return Decision(move_on, reason=f"{code}: this model cannot serve the step now")
    if code is ErrorCode.RATE_LIMITED and (exc.retry_after or 0) > policy.long_wait:
        if has_next:
            return Decision(
                Verdict.FALLBACK, reason=f"rate limited for {exc.retry_after:g} s (long wait)"
            )
    if not exc.retryable and code is not ErrorCode.RATE_LIMITED:
        return Decision(Verdict.FAIL, reason=f"{code}: not retryable")
    if tries >= policy.max_attempts:
        return Decision(move_on, reason=f"{code}: still failing after {tries} attempt(s)")
    delay = retry_delay(exc, tries, policy)
    if elapsed + delay > policy.max_seconds:
        return Decision(move_on, reason=f"{code}: retry time for this step used up")
    return Decision(Verdict.RETRY, delay=delay, reason=str(code))


@dataclass
class Option:
    """One way to serve a step: the node's model (index 0) or one of its fallbacks."""

    model: str
    params: dict[str, Any] | None  # None: the step's own params
    quote_micros: int
    notes: list[str] = field(default_factory=list)


def step_options(model: str, request: dict[str, Any], quote_micros: int) -> list[Option]:
    own = request.get("own_quote_micros")
    options = [Option(model, None, int(own if own is not None else quote_micros))]
    for alt in request.get("alternatives") or []:
        options.append(
            Option(
                alt["model"],
                dict(alt.get("params") or {}),
                int(alt.get("quote_micros") or 0),
                list(alt.get("notes") or []),
            )
        )
    return options


@dataclass
class RouteState:
    """Persisted in ``steps.route``."""

    option: int = 0  # index into the step's options
    tries: int = 0  # submissions of the current option
    rounds: int = 0  # provider tasks created so far that did not succeed
    started_at: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> RouteState:
        if not data:
            return cls()
        return cls(
            option=int(data.get("option", 0)),
            tries=int(data.get("tries", 0)),
            rounds=int(data.get("rounds", 0)),
            started_at=data.get("started_at"),
            history=list(data.get("history") or []),
        )

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    def note(self, event: str, model: str, **facts: Any) -> dict[str, Any]:
        item = {"at": round(time.time(), 3), "event": event, "model": model, **facts}
        self.history.append(item)
        if len(self.history) > HISTORY_LIMIT:
            # Keep the first entries (how it started) and the latest ones.
            self.history = self.history[:5] + self.history[-(HISTORY_LIMIT - 5) :]
        return item

    def idempotency_key(self, base: str) -> str:
        """The step's own key for its first task; a derived one after a task failed or on
        another model, so an idempotent provider does not hand back the failed task."""
        if self.option == 0 and self.rounds == 0:
            return base
        digest = hashlib.sha256(f"{base}/{self.option}/{self.rounds}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def fallback_reason(self) -> dict[str, Any] | None:
        """Why the step left its first model (for the run view), if it did."""
        for item in self.history:
            if item["event"] in ("fallback", "skipped"):
                return item
        return None
