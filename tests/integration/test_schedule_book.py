"""The schedule book on the machine's Redis: one live message chain per step."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from reelforge.jobs.schedule_book import NullBook, RedisBook
from tests.stack import REDIS_URL, redis_namespace

pytestmark = pytest.mark.redis


@pytest.fixture
def book() -> Iterator[RedisBook]:
    with redis_namespace() as namespace:
        b = RedisBook(REDIS_URL, namespace, stale_seconds=60)
        try:
            yield b
        finally:
            b.close()


def test_a_later_schedule_waits_for_the_live_earlier_message(book: RedisBook) -> None:
    now = time.time()
    [(_, _, first)] = book.schedule([("s1", now + 5)])
    assert book.schedule([("s1", now + 10)]) == []  # the earlier message will run first
    [(_, _, second)] = book.schedule([("s1", now + 1)])  # earlier: supersedes
    assert first != second
    assert not book.claim("s1", first)  # the superseded message is dropped
    assert book.claim("s1", second)


def test_the_owner_continues_its_chain_and_releases_it(book: RedisBook) -> None:
    now = time.time()
    [(_, _, token)] = book.schedule([("s1", now)])
    assert book.claim("s1", token)
    [(_, _, nxt)] = book.schedule([("s1", now + 2)], owner=token)
    assert book.claim("s1", nxt)
    assert book.claim("s1", nxt)  # a redelivered message still owns the step
    book.release("s1", nxt)
    assert book.claim("s1", "anything")  # unknown steps run (advancing is harmless)


def test_a_wake_while_running_is_not_lost(book: RedisBook) -> None:
    now = time.time()
    [(_, _, running)] = book.schedule([("s1", now)])
    assert book.claim("s1", running)
    # A callback nudges the step while its advance runs: a new message is sent.
    [(_, _, woken)] = book.schedule([("s1", now)])
    # The running advance ends and wants a poll later: the woken message owns the step.
    assert book.schedule([("s1", now + 5)], owner=running) == []
    assert not book.claim("s1", running)
    assert book.claim("s1", woken)


def test_a_long_overdue_message_counts_as_lost(book: RedisBook) -> None:
    old = time.time() - 600
    [(_, _, lost)] = book.schedule([("s1", old)])
    [(_, _, fresh)] = book.schedule([("s1", time.time())])  # the sweep replaces it
    assert lost != fresh and book.claim("s1", fresh)


def test_a_rescan_of_many_steps_is_one_round_trip_and_dedups(book: RedisBook) -> None:
    now = time.time()
    items = [(f"s{i}", now + i % 3) for i in range(500)]
    assert len(book.schedule(items)) == 500
    assert book.schedule(items) == []  # a second worker's rescan sends nothing


def test_without_redis_everything_runs() -> None:
    book = NullBook()
    assert book.schedule([("s1", 1.0), ("s1", 2.0)]) == [("s1", 1.0, None), ("s1", 2.0, None)]
    assert book.claim("s1", None)
