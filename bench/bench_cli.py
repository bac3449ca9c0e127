"""CLI start-up and ``reelforge media last-frame`` as whole processes (issue 18).

1. ``reelforge --help`` and ``reelforge version``: wall time of the whole process;
2. ``reelforge media last-frame in.mp4 -o out.png`` against
   ``ffmpeg -sseof -1 -i in.mp4 -update 1 out.png`` (the imageio-ffmpeg binary) on the
   10 s 1080p30 H.264 clip of ``bench_media`` (x264 default GOP), both as processes.

Interleaved runs, medians (the machine is shared; load moves single runs). CPU seconds
of the child processes are given beside the wall times. ``python -m bench.run cli``.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_media import make_clip
from reelforge.media.tools import ffmpeg_exe


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str]) -> tuple[float, float]:
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - wall0, _children_cpu() - cpu0


def _median(samples: list[tuple[float, float]]) -> dict[str, float]:
    return {
        "wall_s": round(statistics.median(w for w, _ in samples), 3),
        "cpu_s": round(statistics.median(c for _, c in samples), 3),
        "min_wall_s": round(min(w for w, _ in samples), 3),
    }


def reelforge_exe() -> list[str]:
    """The installed console script, as a user runs it."""
    exe = Path(sys.executable).with_name("reelforge")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "reelforge.cli.main"]


def bench_start(runs: int = 15) -> dict[str, Any]:
    cli = reelforge_exe()
    bare, helps, versions = [], [], []
    for _ in range(runs):
        bare.append(_timed([sys.executable, "-c", "pass"]))
        helps.append(_timed([*cli, "--help"]))
        versions.append(_timed([*cli, "version"]))
    return {
        "help": _median(helps),
        "version": _median(versions),
        "python_bare": _median(bare),
        "target_s": 0.3,
        "runs": runs,
    }


def bench_last_frame(clip: Path, work: Path, runs: int = 7) -> dict[str, Any]:
    ours = [*reelforge_exe(), "media", "last-frame", str(clip), "-o", str(work / "ours.png")]
    theirs = [ffmpeg_exe(), "-loglevel", "error", "-y", "-sseof", "-1", "-i", str(clip)]
    theirs += ["-update", "1", str(work / "ffmpeg.png")]
    ours_t, theirs_t = [], []
    _timed(ours)  # warm the page cache for both (the clip was just written)
    for _ in range(runs):
        ours_t.append(_timed(ours))
        theirs_t.append(_timed(theirs))
    mine, ff = _median(ours_t), _median(theirs_t)
    return {
        "reelforge_last_frame": mine,
        "ffmpeg_sseof": ff,
        "speedup_wall": round(ff["wall_s"] / mine["wall_s"], 2),
        "runs": runs,
    }


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rf-bench-cli-") as tmp:
        work = Path(tmp)
        clip = make_clip(work)
        return {"start": bench_start(), "last_frame_10s_1080p": bench_last_frame(clip, work)}
