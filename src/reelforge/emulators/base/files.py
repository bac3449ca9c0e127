"""Output files: registered with a render function, rendered on first download, cached.

URLs carry a random token and an expiry like presigned URLs; an expired one (or the
``expired_output`` fault) answers 403 with an S3-style body, as real expired links do.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reelforge.emulators.base.durable import CURRENT, NeedsRestore, file_token

if TYPE_CHECKING:
    from reelforge.emulators.base.durable import DurableStore

CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
}

# A bound on the output files one emulator holds (each keeps its render function, and
# with it the task's prompt and input media): past it the oldest are dropped, as a real
# provider's output URLs expire (24-48 h at Runway), unless registered less than
# FILE_GRACE_SECONDS ago (its caller is about to download it). Without it a long-running
# sandbox `reelforge serve` kept one file per run for as long as it ran (issue 25). With a
# durable store a dropped file stays on record, and a later request for it makes it again.
MAX_FILES = 2_000
FILE_GRACE_SECONDS = 30.0


@dataclass
class StoredFile:
    token: str
    ext: str
    render: Callable[[], bytes]
    expires_at: float
    added: float = 0.0  # time.time() when registered


class FileStore:
    def __init__(
        self,
        *,
        ttl_seconds: float = 24 * 3600,
        cache_items: int = 256,
        max_files: int = MAX_FILES,
        grace_seconds: float = FILE_GRACE_SECONDS,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_files = max_files
        self.grace_seconds = grace_seconds
        self._files: dict[str, StoredFile] = {}  # in the order they were registered
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_items = cache_items
        self._lock = threading.Lock()
        self.emulator = ""
        self.durable: DurableStore | None = None
        self.lost: set[str] = set()

    def attach(self, emulator: str, durable: DurableStore | None) -> None:
        self.emulator, self.durable = emulator, durable

    def add(self, ext: str, render: Callable[[], bytes], ttl_seconds: float | None = None) -> str:
        ctx = CURRENT.get() if self.durable is not None else None
        if ctx is not None and ctx.task is not None and self.durable is not None:
            # A task's output: a token every process (and a replay) derives alike, and the
            # request that made it on record so it can be made again where it is asked for.
            task = ctx.task
            token = file_token(self.emulator, task.id, task.files_made)
            task.files_made += 1
            if ctx.replay is None:
                request_id = ctx.request_id or self.durable.save_request(ctx)
                self.durable.add_file(self.emulator, token, task.id, request_id)
        else:
            token = secrets.token_urlsafe(12)
        ttl = self.ttl_seconds if ttl_seconds is None else ttl_seconds
        now = time.time()
        with self._lock:
            self._files[token] = StoredFile(token, ext, render, now + ttl, now)
            if len(self._files) > self.max_files:
                self._prune(now)
        return f"{token}.{ext}"

    def _prune(self, now: float) -> None:
        """Drop the oldest files past ``max_files`` (under the lock), none still in its
        grace: files are held in the order they were registered, so this stops at the
        first one too young, and the newer ones after it are younger still."""
        excess = len(self._files) - self.max_files
        doomed: list[str] = []
        for token, stored in self._files.items():
            if len(doomed) >= excess or stored.added > now - self.grace_seconds:
                break
            doomed.append(token)
        for token in doomed:
            del self._files[token]
            self._cache.pop(token, None)

    def lookup(self, name: str) -> StoredFile | None:
        token = name.split(".", 1)[0]
        stored = self._files.get(token)
        if stored is None and self.durable is not None and token not in self.lost:
            if CURRENT.get() is not None and self.durable.file(self.emulator, token):
                raise NeedsRestore(token=token)
        return stored

    def held(self, token: str) -> bool:
        return token in self._files

    def content(self, stored: StoredFile) -> bytes:
        with self._lock:
            cached = self._cache.get(stored.token)
            if cached is not None:
                self._cache.move_to_end(stored.token)
                return cached
        data = stored.render()
        with self._lock:
            self._cache[stored.token] = data
            while len(self._cache) > self._cache_items:
                self._cache.popitem(last=False)
        return data

    def reset(self) -> None:
        with self._lock:
            self._files.clear()
            self._cache.clear()
            self.lost.clear()
