"""Poll cadence: soon after submit, then backing off toward the provider's interval."""

from __future__ import annotations

import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.polling import FIRST_POLL_SECONDS, ramped, task_failure
from reelforge.providers.http import transient


def _poll_times(interval: float, until: float) -> list[float]:
    times, now = [], 0.0
    while now < until:
        now += ramped(interval, now)
        times.append(now)
    return times


@pytest.mark.parametrize("interval", [2.0, 5.0, 6.0, 10.0])
def test_a_short_task_is_seen_within_a_second_of_its_end(interval: float) -> None:
    for ends_at in (0.3, 1.5, 2.0):
        seen = next(t for t in _poll_times(interval, 60) if t >= ends_at)
        assert seen - ends_at <= 1.0, (interval, ends_at, seen)


def test_polls_back_off_to_the_interval_and_never_exceed_it() -> None:
    times = _poll_times(10.0, 120)
    gaps = [b - a for a, b in zip([0.0, *times], times, strict=False)]
    assert gaps[0] == FIRST_POLL_SECONDS
    assert all(gap <= 10.0 for gap in gaps)
    assert gaps[-1] == 10.0 and gaps == sorted(gaps)
    assert len(times) < 25  # 2 minutes of a Kling task: a few quick looks, then every 10 s


def test_fast_providers_keep_their_own_interval() -> None:
    assert ramped(0.1, 0.0) == 0.1 and ramped(0.0, 5.0) == 0.0


@pytest.mark.parametrize(
    ("reason", "passing"),
    [
        ("GPU worker timed out", True),
        ("Service temporarily unavailable, try again", True),
        ("internal error while generating", True),
        ("unsupported LoRA file", False),
        ("the prompt was flagged by content moderation, try again", False),
        ("", False),
    ],
)
def test_which_failures_read_as_passing(reason: str, passing: bool) -> None:
    assert transient(reason) is passing


def test_a_failed_task_is_marked_and_only_passing_reasons_stay_retryable() -> None:
    crash = task_failure(ReelForgeError(ErrorCode.PROVIDER_ERROR, "kling: model crashed"))
    assert crash.detail["task_failed"] and not crash.retryable
    said = ReelForgeError(
        ErrorCode.PROVIDER_ERROR, "x", detail={"provider_message": "upstream timeout"}
    )
    assert task_failure(said).retryable
    flagged = ReelForgeError(ErrorCode.PROVIDER_ERROR, "x", detail={"transient": True})
    assert task_failure(flagged).retryable
    moderated = task_failure(ReelForgeError(ErrorCode.SAFETY_FILTER, "nsfw"))
    assert moderated.code is ErrorCode.SAFETY_FILTER and not moderated.retryable
