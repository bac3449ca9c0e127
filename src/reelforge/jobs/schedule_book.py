"""The schedule book: at most one live Dramatiq message chain per step.

Advancing twice is harmless (every transition is a compare-and-set), but without a book
each rescan, callback nudge or wake would start another self-re-enqueuing chain, and
chains never merge: polling would multiply with every worker restart. The book keeps,
per step, the token of the message that owns the step's future (``token|due_ms|state``),
as the embedded runner's heap keeps one due time per step:

- ``schedule`` sends a new message only when no *live* pending message is due earlier
  (a later one is superseded: its token no longer matches), or when the caller owns the
  entry (the chain continuing itself), or when the owner is running (a wake that arrives
  mid-advance must not be lost: the embedded runner's "advance once more");
- ``claim`` lets a message run only if it still owns the entry (a redelivered message
  keeps its token, so redelivery after a worker dies still runs);
- ``release`` forgets the step when its chain ends (terminal, or waiting on a parent).

A pending entry whose due time is long past (``stale_ms``) is treated as lost (its
message was dead-lettered, or the broker lost it), so the next sweep replaces it.

Entries live in Redis (one key per step, updated by Lua scripts, so each decision is
atomic). Without Redis (RabbitMQ alone), ``NullBook`` lets every message run: duplicates
then cost extra polls, never a second submission or charge.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any, Protocol

_SCHEDULE = """
local cur = redis.call('GET', KEYS[1])
if cur then
  local tok, due, st = string.match(cur, '^([^|]*)|([^|]*)|(%a)$')
  due = tonumber(due)
  if tok ~= ARGV[5] and st == 'P' and due <= tonumber(ARGV[2])
     and due > tonumber(ARGV[3]) - tonumber(ARGV[4]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2] .. '|P', 'PX', ARGV[6])
return 1
"""

_CLAIM = """
local cur = redis.call('GET', KEYS[1])
if not cur then return 1 end
local tok, due = string.match(cur, '^([^|]*)|([^|]*)|')
if tok ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], tok .. '|' .. due .. '|R', 'KEEPTTL')
return 1
"""

_RELEASE = """
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^([^|]*)|') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

KEEP_MS = 24 * 3600 * 1000  # an entry outlives its due time by a day, then Redis drops it


class ScheduleBook(Protocol):
    def schedule(
        self, items: Iterable[tuple[str, float]], owner: str | None = None
    ) -> list[tuple[str, float, str | None]]:
        """(step id, due epoch seconds) → the ones to send now, each with its new token."""

    def claim(self, step_id: str, token: str | None) -> bool: ...

    def release(self, step_id: str, token: str | None) -> None: ...

    def close(self) -> None: ...


class NullBook:
    """No deduplication: every schedule sends, every message runs."""

    def schedule(
        self, items: Iterable[tuple[str, float]], owner: str | None = None
    ) -> list[tuple[str, float, str | None]]:
        return [(step_id, due, None) for step_id, due in items]

    def claim(self, step_id: str, token: str | None) -> bool:
        return True

    def release(self, step_id: str, token: str | None) -> None:
        return None

    def close(self) -> None:
        return None


class RedisBook:
    def __init__(self, url: str, namespace: str, *, stale_seconds: float = 120.0) -> None:
        import redis

        self.client: Any = redis.Redis.from_url(url)
        self.prefix = f"{namespace}:steps:"
        self.stale_ms = int(stale_seconds * 1000)
        self._schedule = self.client.register_script(_SCHEDULE)
        self._claim = self.client.register_script(_CLAIM)
        self._release = self.client.register_script(_RELEASE)

    def schedule(
        self, items: Iterable[tuple[str, float]], owner: str | None = None
    ) -> list[tuple[str, float, str | None]]:
        batch = list(items)
        if not batch:
            return []
        now_ms = int(time.time() * 1000)
        tokens = [uuid.uuid4().hex[:16] for _ in batch]
        # One round trip for a whole rescan: a pipeline of script calls.
        pipe = self.client.pipeline(transaction=False)
        for (step_id, due), token in zip(batch, tokens, strict=True):
            due_ms = int(due * 1000)
            self._schedule(
                keys=[self.prefix + step_id],
                args=[
                    token,
                    due_ms,
                    now_ms,
                    self.stale_ms,
                    owner or "",
                    max(due_ms - now_ms, 0) + KEEP_MS,
                ],
                client=pipe,
            )
        results = pipe.execute()
        return [
            (step_id, due, token)
            for (step_id, due), token, ok in zip(batch, tokens, results, strict=True)
            if ok
        ]

    def claim(self, step_id: str, token: str | None) -> bool:
        if token is None:
            return True  # sent without a book (e.g. by a process configured without Redis)
        return bool(self._claim(keys=[self.prefix + step_id], args=[token]))

    def release(self, step_id: str, token: str | None) -> None:
        if token is not None:
            self._release(keys=[self.prefix + step_id], args=[token])

    def close(self) -> None:
        self.client.close()
