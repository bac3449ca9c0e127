"""Running ffmpeg (and other media tools) as subprocesses.

Argument lists only, never a shell string. ``-progress pipe:1`` is parsed into a 0..1
callback; a timeout and asyncio cancellation both kill the process (and its process
group), and the caller's ``atomic_output`` then removes the partial file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media.tools import ffmpeg_exe

ProgressFn = Callable[[float], None]

# stderr fragments that mean "the input is not usable" rather than "we broke something".
_BAD_INPUT_MARKERS: tuple[str, ...] = (
    "invalid data found",
    "moov atom not found",
    "partial file",
    "corrupt input packet",
    "no decoder found",
    "decoder not found",
    "could not find codec",
    "does not contain any stream",
    "unsupported codec",
    "error while decoding",
    "decoding error",
    "invalid nal unit",
    "end of file",
    "truncat",
)


_BOILERPLATE = (
    "Terminating thread",
    "Task finished",
    "Error opening output file",
    "Conversion failed",
)


def _strip_context(line: str) -> str:
    # "[in#0/mov,mp4 @ 0x55d...] moov atom not found" → "moov atom not found"
    while line.startswith("[") and "] " in line:
        line = line.split("] ", 1)[1]
    return line.strip()


@dataclass(frozen=True)
class ProcessResult:
    returncode: int
    stderr: str
    elapsed: float


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    # The child leads its own session, so its helpers die with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


async def _drain_stderr(stream: asyncio.StreamReader, tail: deque[str]) -> None:
    while True:
        line = await stream.readline()
        if not line:
            return
        tail.append(line.decode("utf-8", "replace").rstrip())


async def _read_progress(
    stream: asyncio.StreamReader, duration: float | None, on_progress: ProgressFn | None
) -> None:
    last = -1.0
    while True:
        raw = await stream.readline()
        if not raw:
            return
        if on_progress is None:
            continue
        key, _, value = raw.decode("ascii", "replace").strip().partition("=")
        fraction: float | None = None
        if key == "out_time_us" and duration and value.lstrip("-").isdigit():
            # Held below 1 until ffmpeg says it has finished writing.
            fraction = min(0.99, max(0.0, int(value) / 1e6 / duration))
        elif key == "progress" and value == "end":
            fraction = 1.0
        if fraction is not None and fraction > last:
            last = fraction
            on_progress(fraction)


async def run_process(
    cmd: Sequence[str],
    *,
    timeout: float | None = None,
    duration: float | None = None,
    on_progress: ProgressFn | None = None,
    progress_on_stdout: bool = False,
    cwd: str | None = None,
) -> ProcessResult:
    """Run ``cmd``; kill it on timeout (ENGINE_TIMEOUT) or cancellation (re-raised)."""
    started = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if progress_on_stdout else asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            cwd=cwd,
        )
    except OSError as exc:
        raise ReelForgeError(
            ErrorCode.DEPENDENCY_MISSING,
            f"Could not start {os.path.basename(cmd[0])}.",
            detail={"program": os.path.basename(cmd[0]), "reason": exc.strerror},
        ) from exc
    tail: deque[str] = deque(maxlen=80)
    assert proc.stderr is not None
    readers = [_drain_stderr(proc.stderr, tail)]
    if progress_on_stdout:
        assert proc.stdout is not None
        readers.append(_read_progress(proc.stdout, duration, on_progress))
    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(*readers, proc.wait())
    except TimeoutError:
        _kill(proc)
        await proc.wait()
        raise ReelForgeError(
            ErrorCode.ENGINE_TIMEOUT,
            f"{os.path.basename(cmd[0])} did not finish within {timeout:g} s and was stopped.",
            detail={"program": os.path.basename(cmd[0]), "timeout_seconds": timeout},
            retryable=False,
        ) from None
    except BaseException:
        # Cancellation (or anything else): never leave the process running.
        _kill(proc)
        with contextlib.suppress(BaseException):
            await asyncio.shield(proc.wait())
        raise
    assert proc.returncode is not None
    return ProcessResult(proc.returncode, "\n".join(tail), time.monotonic() - started)


def ffmpeg_command(
    args: Sequence[str], *, strict: bool = True, loglevel: str = "error"
) -> list[str]:
    """The full command line for ``args`` (inputs, filters, outputs)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", loglevel]
    cmd += ["-progress", "pipe:1", "-y"]
    if strict:
        # Stop at the first decoding error: a truncated input fails instead of
        # silently producing a shorter output.
        cmd.append("-xerror")
    return [*cmd, *args]


def failure(result: ProcessResult, program: str = "ffmpeg") -> ReelForgeError:
    """The error for a failed ffmpeg run: bad input → UNSUPPORTED_MEDIA, else INTERNAL_ERROR."""
    text = result.stderr.lower()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # ffmpeg ends with generic "Terminating thread" / "Task finished" lines; the first
    # other line is the one that says what went wrong.
    telling = [line for line in lines if not any(n in line for n in _BOILERPLATE)]
    summary = _strip_context((telling or lines or [f"exit status {result.returncode}"])[0])
    if any(marker in text for marker in _BAD_INPUT_MARKERS):
        return ReelForgeError(
            ErrorCode.UNSUPPORTED_MEDIA,
            "The input media is corrupt, truncated or in an unsupported format.",
            detail={"program": program, "reason": summary[-300:]},
        )
    return ReelForgeError(
        ErrorCode.INTERNAL_ERROR,
        f"{program} failed: {summary[-300:]}",
        detail={"program": program, "exit_status": result.returncode, "log": lines[-8:]},
        retryable=False,
    )


async def run_ffmpeg(
    args: Sequence[str],
    *,
    duration: float | None = None,
    on_progress: ProgressFn | None = None,
    timeout: float | None = None,
    strict: bool = True,
    loglevel: str = "error",
) -> ProcessResult:
    """Run ffmpeg with ``args``; raise a ReelForgeError if it fails."""
    result = await run_process(
        ffmpeg_command(args, strict=strict, loglevel=loglevel),
        timeout=timeout,
        duration=duration,
        on_progress=on_progress,
        progress_on_stdout=True,
    )
    if result.returncode != 0:
        raise failure(result)
    return result
