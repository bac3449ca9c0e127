"""The ffmpeg runner: progress, timeout, cancellation kill the process, error mapping."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.media.files import atomic_output
from reelforge.media.runner import run_ffmpeg
from tests.media_helpers import leftovers


def _running_with(marker: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


def _endless(out: Path) -> list[str]:
    return ["-re", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-t", "600", str(out)]


async def test_progress_rises_to_one(tmp_path: Path) -> None:
    seen: list[float] = []
    out = tmp_path / "o.mp4"
    args = [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=64x48:rate=25:duration=3",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
    ]
    await run_ffmpeg([*args, str(out)], duration=3.0, on_progress=seen.append)
    assert out.stat().st_size > 0
    assert seen[-1] == 1.0
    assert seen == sorted(seen)


async def test_timeout_kills_and_leaves_nothing(tmp_path: Path) -> None:
    dst = tmp_path / f"t-{secrets.token_hex(4)}.mp4"
    with pytest.raises(ReelForgeError) as err:
        with atomic_output(dst) as tmp:
            await run_ffmpeg(_endless(tmp), timeout=1.0)
    assert err.value.code is ErrorCode.ENGINE_TIMEOUT
    assert _running_with(dst.stem) == []
    assert list(tmp_path.iterdir()) == []


async def test_cancellation_kills_and_leaves_nothing(tmp_path: Path) -> None:
    dst = tmp_path / f"c-{secrets.token_hex(4)}.mp4"
    started = asyncio.Event()

    async def work() -> None:
        with atomic_output(dst) as tmp:
            await run_ffmpeg(_endless(tmp), duration=600, on_progress=lambda f: started.set())

    task = asyncio.create_task(work())
    await asyncio.wait_for(started.wait(), 20)
    assert _running_with(dst.stem)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _running_with(dst.stem) == []
    assert list(tmp_path.iterdir()) == []


async def test_bad_input_is_unsupported_media(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    with pytest.raises(ReelForgeError) as err:
        with atomic_output(tmp_path / "o.mp4") as tmp:
            await run_ffmpeg(["-i", str(junk), str(tmp)])
    assert err.value.code is ErrorCode.UNSUPPORTED_MEDIA
    assert leftovers(tmp_path) == []


async def test_other_failures_are_internal_and_not_retryable(tmp_path: Path) -> None:
    with pytest.raises(ReelForgeError) as err:
        await run_ffmpeg(
            ["-f", "lavfi", "-i", "testsrc2", "-vf", "nosuchfilter", str(tmp_path / "o.mp4")]
        )
    assert err.value.code is ErrorCode.INTERNAL_ERROR
    assert err.value.retryable is False
