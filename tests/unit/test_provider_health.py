"""Provider health (cooldowns as a circuit breaker) and per-credential request limits."""

from __future__ import annotations

import asyncio

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.providers.base import Credential
from reelforge.providers.health import HealthBoard, credential_key
from reelforge.providers.limits import LimitBoard, Permit, RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


FAIL = ReelForgeError(ErrorCode.PROVIDER_ERROR, "boom", retryable=True)


def test_credential_keys_never_show_the_key() -> None:
    stored = Credential("kling", {"access_key": "AK-secret", "secret_key": "SK-secret"}, "stored")
    key = credential_key(stored)
    assert key.startswith("kling:stored:") and "secret" not in key
    other = credential_key(Credential("kling", {"access_key": "AK-2", "secret_key": "x"}, "stored"))
    assert key != other
    assert credential_key(Credential("fal", {"api_key": "k"}, "sandbox")) == "fal:sandbox"


def test_five_failures_in_a_row_cool_down_then_half_open_doubles() -> None:
    async def scenario() -> None:
        clock = Clock()
        board = HealthBoard(None, threshold=5, base_cooldown=60, clock=clock)
        for _ in range(4):
            assert not await board.record_failure("fal:env:x", FAIL)
        assert not board.cooling("fal:env:x")
        assert await board.record_failure("fal:env:x", FAIL)
        assert board.cooling("fal:env:x") and board.available_at("fal:env:x") == 1060
        snap = board.snapshot("fal:env:x")
        assert snap["status"] == "cooling_down" and snap["last_error"]["code"] == "PROVIDER_ERROR"
        clock.now = 1061  # half-open: one call goes through, and fails
        assert not board.cooling("fal:env:x")
        assert await board.record_failure("fal:env:x", FAIL)
        assert board.available_at("fal:env:x") == 1061 + 120  # twice as long
        clock.now = 1200
        await board.record_ok("fal:env:x", 0.25)
        assert board.snapshot("fal:env:x")["status"] == "ok"
        assert board.snapshot("fal:env:x")["p50_latency_ms"] == 250.0

    asyncio.run(scenario())


def test_refusals_do_not_count_and_retry_after_blocks_without_cooling() -> None:
    async def scenario() -> None:
        clock = Clock()
        board = HealthBoard(None, clock=clock)
        for _ in range(10):
            await board.record_failure("k", ReelForgeError(ErrorCode.SAFETY_FILTER))
        assert board.snapshot("k")["consecutive_failures"] == 0
        await board.record_failure("k", ReelForgeError(ErrorCode.RATE_LIMITED, retry_after=7))
        assert board.available_at("k") == 1007 and not board.cooling("k")
        assert board.snapshot("k")["status"] == "rate_limited"

    asyncio.run(scenario())


def test_limits_defer_instead_of_exceeding() -> None:
    async def scenario() -> None:
        board = LimitBoard({"acme": RateLimits(concurrency=2, rpm=3)})
        first = await board.try_acquire("acme:env:x")
        second = await board.try_acquire("acme:env:x")
        assert isinstance(first, Permit) and isinstance(second, Permit)
        assert await board.try_acquire("acme:env:x") == 0.25  # two in flight already
        first.release()
        first.release()  # idempotent
        third = await board.try_acquire("acme:env:x")
        assert isinstance(third, Permit)
        third.release()
        wait = await board.try_acquire("acme:env:x")  # a fourth request this minute
        assert wait == 20.0
        assert board.snapshot("acme:env:x")["deferred"] == 2
        sandbox = [await board.try_acquire("acme:sandbox") for _ in range(10)]
        assert all(isinstance(p, Permit) for p in sandbox)  # emulated: unlimited

    asyncio.run(scenario())


def test_documented_limits_apply_per_credential_source() -> None:
    board = LimitBoard()
    assert board.limits_for("sync:env:abc").submit_rpm == 60
    assert board.limits_for("pollinations:none").concurrency == 1
    assert board.limits_for("pollinations:stored:abc").concurrency is None
    assert board.limits_for("kling:env:abc").rpm is None
