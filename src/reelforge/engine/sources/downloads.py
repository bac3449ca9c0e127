"""Download jobs: one asyncio task per destination file, its progress kept in memory so the
API can answer a poll or stream it as events.

Jobs live in the process that serves the request (``reelforge serve``); a restart forgets
them but not the partial file, so starting the download again resumes it. Two requests for
the same destination share one job (never two writers on one ``.part`` file).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.sources import ModelSource
from reelforge.logs import get_logger
from reelforge.storage.fetcher import SafeFetcher
from reelforge.storage.model_download import download_model_file
from reelforge.storage.tables import utcnow

log = get_logger("reelforge.sources")
FINAL = frozenset({"succeeded", "failed", "canceled"})
# Progress wakes watchers at most this often (a byte counter changes thousands of times a second).
NOTIFY_SECONDS = 0.2


@dataclass
class DownloadJob:
    id: str
    source_id: str
    path: Path
    status: str = "running"  # running | succeeded | failed | canceled
    done_bytes: int = 0
    total_bytes: int | None = None
    resumed_from: int = 0
    verified: bool | None = None
    sha256: str | None = None
    already_installed: bool = False
    error: dict[str, Any] | None = None
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    _t0: float = field(default_factory=time.monotonic)
    _t1: float | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _last_notice: float = 0.0
    task: asyncio.Task[None] | None = None

    def view(self) -> dict[str, Any]:
        elapsed = (self._t1 or time.monotonic()) - self._t0
        fresh = self.done_bytes - self.resumed_from
        return {
            "job_id": self.id,
            "source_id": self.source_id,
            "status": self.status,
            "path": str(self.path),
            "done_bytes": self.done_bytes,
            "total_bytes": self.total_bytes,
            "percent": round(100 * self.done_bytes / self.total_bytes, 1)
            if self.total_bytes
            else None,
            "bytes_per_second": int(fresh / elapsed) if elapsed > 0 else None,
            "resumed_from": self.resumed_from,
            "verified": self.verified,
            "sha256": self.sha256,
            "already_installed": self.already_installed,
            "error": self.error,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }

    def notify(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_notice >= NOTIFY_SECONDS:
            self._last_notice = now
            self._changed.set()
            self._changed = asyncio.Event()

    def finish(self, status: str, error: ReelForgeError | None = None) -> None:
        self.status = status
        self.error = None if error is None else {"code": str(error.code), **error.to_dict()}
        self.finished_at = utcnow()
        self._t1 = time.monotonic()
        self.notify(force=True)


def _hash_path(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(4 * 1024 * 1024):
            hasher.update(block)
    return hasher.hexdigest()


def _existing(path: Path, hash_it: bool) -> tuple[int, str | None] | None:
    """The size (and sha256 when asked) of a file already at ``path``, or None."""
    if not path.exists():
        return None
    return path.stat().st_size, _hash_path(path) if hash_it else None


class DownloadJobs:
    def __init__(self, fetcher: SafeFetcher, *, max_bytes: int) -> None:
        self.fetcher = fetcher
        self.max_bytes = max_bytes
        self._by_path: dict[Path, DownloadJob] = {}

    def job_for(self, path: Path) -> DownloadJob | None:
        return self._by_path.get(path)

    async def start(self, source: ModelSource, path: Path) -> DownloadJob:
        """The running job for ``path``, or a new one; a file already in place is checked
        (against its sha256 when there is one) instead of being downloaded again."""
        current = self._by_path.get(path)
        if current is not None and current.status == "running":
            if current.source_id != source.id:  # another entry (another user's) same file
                raise ReelForgeError(
                    ErrorCode.CONFLICT,
                    f"Another download is writing {path.name} right now.",
                    detail={"path": str(path)},
                    remediation=("Wait for it to finish, then start this one again.",),
                )
            return current
        job = DownloadJob(id=f"dl_{secrets.token_hex(8)}", source_id=source.id, path=path)
        existing = await asyncio.to_thread(_existing, path, source.sha256 is not None)
        if existing is not None:
            size, digest = existing
            if digest is not None and digest != (source.sha256 or "").lower():
                raise ReelForgeError(
                    ErrorCode.CONFLICT,
                    f"A different file named {path.name} is already installed.",
                    detail={"path": str(path), "sha256": digest, "expected_sha256": source.sha256},
                    remediation=(
                        "Delete or rename that file, then download again; or add the model "
                        "under another filename.",
                    ),
                )
            job.done_bytes = job.total_bytes = size
            job.already_installed, job.sha256, job.verified = True, digest, digest is not None
            job.finish("succeeded")
            self._by_path[path] = job
            return job
        self._by_path[path] = job
        job.task = asyncio.create_task(self._run(job, source), name=f"download {source.id}")
        return job

    async def _run(self, job: DownloadJob, source: ModelSource) -> None:
        first = True

        def progress(done: int, total: int | None) -> None:
            nonlocal first
            if first:  # the first report is what was already on disk
                job.resumed_from, first = done, False
            job.done_bytes, job.total_bytes = done, total or source.size_bytes
            job.notify()

        limit = min(self.max_bytes, source.size_bytes) if source.size_bytes else self.max_bytes
        try:
            result = await download_model_file(
                self.fetcher,
                source.url,
                job.path,
                sha256=source.sha256,
                max_bytes=limit,
                on_progress=progress,
            )
        except asyncio.CancelledError:
            job.finish("canceled")
            raise
        except ReelForgeError as exc:
            log.warning("source_download_failed", source=source.id, code=str(exc.code))
            job.finish("failed", exc)
            return
        except Exception as exc:  # an unexpected bug must still end the job visibly
            log.exception("source_download_crashed", source=source.id)
            job.finish("failed", ReelForgeError(ErrorCode.INTERNAL_ERROR, str(exc)[:200]))
            return
        job.done_bytes = job.total_bytes = result.size_bytes
        job.resumed_from, job.sha256, job.verified = (
            result.resumed_from,
            result.sha256,
            result.verified,
        )
        log.info("source_downloaded", source=source.id, bytes=result.size_bytes)
        job.finish("succeeded")

    async def watch(self, job: DownloadJob) -> AsyncIterator[dict[str, Any]]:
        """The job's view now and after every change, until (and including) its final one."""
        while True:
            changed = job._changed
            yield job.view()
            if job.status in FINAL:
                return
            try:
                await asyncio.wait_for(changed.wait(), timeout=15)
            except TimeoutError:
                pass  # a heartbeat: the view again, so proxies keep the stream open

    async def aclose(self) -> None:
        tasks = [j.task for j in self._by_path.values() if j.task and not j.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
