"""Retry and fallback decisions, backoff with jitter, and the route a step keeps."""

from __future__ import annotations

import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.routing import (
    RetryPolicy,
    RouteState,
    Verdict,
    decide,
    retry_delay,
    step_options,
)

POLICY = RetryPolicy(base_delay=2.0, max_delay=60.0, max_attempts=3, max_seconds=900, long_wait=30)


def verdict(
    exc: ReelForgeError, *, tries: int = 1, has_next: bool = True, elapsed: float = 0
) -> Verdict:
    return decide(exc, tries=tries, has_next=has_next, elapsed=elapsed, policy=POLICY).verdict


@pytest.mark.parametrize(
    "code", [ErrorCode.SAFETY_FILTER, ErrorCode.VALIDATION_ERROR, ErrorCode.CONTRACT_MISMATCH]
)
def test_never_fall_back_or_retry_for_refusals_and_bad_requests(code: ErrorCode) -> None:
    assert verdict(ReelForgeError(code), has_next=True) is Verdict.FAIL


@pytest.mark.parametrize(
    "exc",
    [
        ReelForgeError(ErrorCode.PROVIDER_OUT_OF_CREDIT),
        ReelForgeError(ErrorCode.AUTH_FAILED),
        ReelForgeError(ErrorCode.ENGINE_TIMEOUT),
        ReelForgeError(ErrorCode.ENGINE_OFFLINE, retryable=False),
        ReelForgeError(ErrorCode.RATE_LIMITED, retry_after=120),
    ],
)
def test_unavailable_models_fall_back_at_once(exc: ReelForgeError) -> None:
    assert verdict(exc) is Verdict.FALLBACK
    if exc.code is not ErrorCode.RATE_LIMITED:
        assert verdict(exc, has_next=False) is Verdict.FAIL


def test_a_long_rate_limit_without_a_fallback_waits_it_out() -> None:
    exc = ReelForgeError(ErrorCode.RATE_LIMITED, retry_after=120)
    decision = decide(exc, tries=1, has_next=False, elapsed=0, policy=POLICY)
    assert decision.verdict is Verdict.RETRY and decision.delay >= 120


def test_transient_errors_retry_then_fall_back_after_the_attempts() -> None:
    exc = ReelForgeError(ErrorCode.PROVIDER_ERROR, retryable=True)
    assert verdict(exc, tries=1) is Verdict.RETRY
    assert verdict(exc, tries=2) is Verdict.RETRY
    assert verdict(exc, tries=3) is Verdict.FALLBACK
    assert verdict(exc, tries=3, has_next=False) is Verdict.FAIL
    assert verdict(ReelForgeError(ErrorCode.PROVIDER_ERROR, retryable=False)) is Verdict.FAIL


def test_total_retry_time_is_bounded() -> None:
    exc = ReelForgeError(ErrorCode.PROVIDER_ERROR, retryable=True)
    assert verdict(exc, tries=1, elapsed=899.9) is Verdict.FALLBACK


def test_backoff_grows_with_jitter_within_bounds() -> None:
    for attempt, ceiling in ((1, 2.0), (2, 4.0), (3, 8.0), (10, 60.0)):
        delays = [POLICY.backoff(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len({round(d, 6) for d in delays}) > 50  # jittered, not one fixed value


def test_retry_after_is_never_undercut() -> None:
    exc = ReelForgeError(ErrorCode.RATE_LIMITED, retry_after=2.0)
    fast = RetryPolicy(base_delay=0.01, max_delay=0.02)
    assert min(retry_delay(exc, 1, fast) for _ in range(500)) >= 2.0
    slow = ReelForgeError(ErrorCode.PROVIDER_ERROR, retry_after=0.5)
    assert min(retry_delay(slow, 3, POLICY) for _ in range(100)) >= 4.0  # backoff wins


def test_route_keys_and_history() -> None:
    route = RouteState()
    assert route.idempotency_key("base-key") == "base-key"
    route.rounds = 1
    first_retry = route.idempotency_key("base-key")
    route.option = 1
    assert len({first_retry, route.idempotency_key("base-key"), "base-key"}) == 3
    for i in range(100):
        route.note("failed", "m", attempt=i)
    assert len(route.history) == 40 and route.history[0]["attempt"] == 0
    assert route.history[-1]["attempt"] == 99
    assert RouteState.load(route.dump()) == route


def test_options_use_each_models_own_quote() -> None:
    request = {
        "own_quote_micros": 100,
        "alternatives": [{"model": "b/x", "params": {"k": 1}, "quote_micros": 300, "notes": ["n"]}],
    }
    options = step_options("a/x", request, 300)
    assert [(o.model, o.quote_micros) for o in options] == [("a/x", 100), ("b/x", 300)]
    assert options[0].params is None and options[1].params == {"k": 1}
