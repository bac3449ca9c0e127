"""The ``local`` provider: ffmpeg, PyAV, Pillow and Piper on this machine, behind the
same submit/poll protocol as remote providers, so a pipeline node can be
"local/film-grain" exactly as it can be "runway/gen4_turbo". Price 0, no credential.

Tasks live in this process: ``submit`` starts an asyncio task (ffmpeg subprocesses, or a
thread for PyAV/Pillow/Piper work) and returns at once; ``poll`` reads its state. A task
id this process does not know (after a restart) polls as a retryable failure, so the
engine submits again: local work is free and idempotent.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.logs import get_logger
from reelforge.media.files import file_url, path_from_url
from reelforge.media.probe import probe
from reelforge.media.tools import ffmpeg_exe, find_upscaler
from reelforge.media.tts import registry as voice_registry
from reelforge.providers.base import (
    Credential,
    GenerationRequest,
    Health,
    OutputMedia,
    Provider,
    ProviderTask,
    TaskStatus,
    TaskUpdate,
)
from reelforge.providers.hookspecs import hookimpl
from reelforge.providers.local_ops import OPS, LocalOp, OpContext

log = get_logger("reelforge.providers.local")

# Finished tasks (and their files) are forgotten after this long; the engine has
# ingested the outputs into the artifact store by then.
KEEP_FINISHED_SECONDS = 3600.0
MAX_REMEMBERED = 500


@dataclass
class LocalJob:
    task_id: str
    model: str
    folder: Path
    status: TaskStatus = TaskStatus.QUEUED
    progress: float = 0.0
    outputs: list[OutputMedia] = field(default_factory=list)
    error: dict[str, Any] | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    task: asyncio.Task[None] | None = None
    finished_at: float | None = None


# Shared by every LocalProvider instance in the process (instances are cheap).
_JOBS: dict[str, LocalJob] = {}


def _validation(exc: ValidationError, model: str) -> ReelForgeError:
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
    ]
    return ReelForgeError(
        ErrorCode.VALIDATION_ERROR,
        f"Invalid parameters for local/{model}.",
        detail={"model": f"local/{model}", "errors": errors},
    )


def _task_id(request: GenerationRequest) -> str:
    if request.idempotency_key:
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:26]
        return f"loc_{digest}"
    return new_id("loc")


def _lost(task_id: str) -> TaskUpdate:
    error = ReelForgeError(
        ErrorCode.PROVIDER_ERROR,
        "This local task is unknown here (the process restarted or forgot it); "
        "submit it again: local work is free.",
        detail={"task_id": task_id, "reason": "task_lost", "resubmit": True},
        retryable=True,
    )
    return TaskUpdate(status=TaskStatus.FAILED, error=error.to_dict())


def _prune(now: float) -> None:
    finished = sorted(
        (j for j in _JOBS.values() if j.finished_at is not None), key=lambda j: j.finished_at or 0
    )
    excess = max(0, len(_JOBS) - MAX_REMEMBERED)
    for index, job in enumerate(finished):
        if index < excess or now - (job.finished_at or now) > KEEP_FINISHED_SECONDS:
            _JOBS.pop(job.task_id, None)
            shutil.rmtree(job.folder, ignore_errors=True)


def default_work_dir() -> Path:
    return Path(tempfile.gettempdir()) / "reelforge-local"


class LocalProvider(Provider):
    name = "local"
    display_name = "Local engine (ffmpeg, Pillow, Piper)"
    credential_fields = ()
    default_poll_interval = 0.5
    supports_cancel = True
    idempotent_submit = True

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        base_url: str | None = None,
        *,
        work_dir: Path | None = None,
    ) -> None:
        # The client is unused (nothing leaves the machine); the "base URL", when given,
        # is a file:// URL of the work folder.
        super().__init__(client, base_url)  # type: ignore[arg-type]
        if work_dir is None and base_url:
            work_dir = path_from_url(base_url)
        self.work_dir = work_dir or default_work_dir()

    async def submit(self, request: GenerationRequest, credential: Credential) -> ProviderTask:
        op = OPS.get(request.model.removeprefix("local/"))
        if op is None:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"The local engine has no model {request.model!r}.",
                detail={"model": request.model, "available": sorted(OPS)},
            )
        try:
            params = op.params.model_validate(request.params)
        except ValidationError as exc:
            raise _validation(exc, op.name) from exc
        for item in request.inputs:
            path_from_url(item.url)  # refuse non-local URLs now, not in the worker
        task_id = _task_id(request)
        task = ProviderTask(
            provider=self.name,
            task_id=task_id,
            model=request.model,
            mode=request.mode,
            meta={"work_dir": str(self.work_dir / task_id)},
            poll_interval_seconds=self.default_poll_interval,
        )
        existing = _JOBS.get(task_id)
        if existing is not None and existing.status not in (TaskStatus.FAILED, TaskStatus.CANCELED):
            return task  # same idempotency key: the same work, not a second run
        _prune(time.monotonic())
        job = LocalJob(task_id=task_id, model=op.name, folder=self.work_dir / task_id)
        _JOBS[task_id] = job
        job.task = asyncio.get_running_loop().create_task(_run(job, op, params, request))
        return task

    async def poll(self, task: ProviderTask, credential: Credential) -> TaskUpdate:
        job = _JOBS.get(task.task_id)
        if job is None:
            return _lost(task.task_id)
        if job.task is not None and not job.status.terminal:
            if job.task.done() or job.task.get_loop().is_closed():
                return _lost(task.task_id)  # its event loop is gone (a restarted worker)
        return TaskUpdate(
            status=job.status,
            progress=round(job.progress, 4),
            outputs=list(job.outputs),
            error=job.error,
            cost_micros=0,
            message=f"local/{job.model}",
        )

    async def cancel(self, task: ProviderTask, credential: Credential) -> bool:
        job = _JOBS.get(task.task_id)
        if job is None or job.status.terminal:
            return False
        job.stop.set()
        if job.task is not None:
            job.task.cancel()
            await asyncio.gather(job.task, return_exceptions=True)
        return True

    async def verify(self, credential: Credential) -> bool:
        return True

    async def health(self) -> Health:
        try:
            exe = ffmpeg_exe()
        except ReelForgeError as exc:
            return Health(ok=False, detail={"ffmpeg": None, "error": exc.message})
        upscaler = find_upscaler()
        return Health(
            ok=True,
            detail={
                "ffmpeg": Path(exe).name,
                "upscaler": upscaler.name if upscaler else None,
                "voices": [v.id for v in voice_registry().list()],
            },
        )


def _progress_setter(job: LocalJob) -> Callable[[float], None]:
    def report(fraction: float) -> None:
        # Kept below 1 until the output has been checked and published.
        job.progress = max(job.progress, min(0.99, fraction))

    return report


async def _run(job: LocalJob, op: LocalOp, params: Any, request: GenerationRequest) -> None:
    job.status = TaskStatus.RUNNING
    job.folder.mkdir(parents=True, exist_ok=True)
    ctx = OpContext(request, job.folder, _progress_setter(job), job.stop)
    try:
        out = await op.run(ctx, params)
        info = await asyncio.to_thread(probe, out)
        job.outputs = [
            OutputMedia(
                url=file_url(out),
                media_type=info.kind,
                content_type=info.content_type,
                width=info.width,
                height=info.height,
                duration_seconds=info.duration,
            )
        ]
        job.progress = 1.0
        job.status = TaskStatus.SUCCEEDED
    except asyncio.CancelledError:
        job.status = TaskStatus.CANCELED
        job.error = ReelForgeError(ErrorCode.CANCELED, detail={"task_id": job.task_id}).to_dict()
        shutil.rmtree(job.folder, ignore_errors=True)
    except ReelForgeError as exc:
        job.status = TaskStatus.FAILED
        job.error = exc.to_dict()
        shutil.rmtree(job.folder, ignore_errors=True)
    except Exception as exc:  # a bug in an operation: report it, never crash the loop
        log.exception("local_task_crashed", task_id=job.task_id, model=job.model)
        job.status = TaskStatus.FAILED
        job.error = ReelForgeError(
            ErrorCode.INTERNAL_ERROR,
            f"local/{job.model} failed unexpectedly: {type(exc).__name__}",
            detail={"task_id": job.task_id},
            retryable=False,
        ).to_dict()
        shutil.rmtree(job.folder, ignore_errors=True)
    finally:
        job.finished_at = time.monotonic()


@hookimpl
def register_providers(register: Callable[[type[Any]], None]) -> None:
    register(LocalProvider)
