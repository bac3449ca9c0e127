"""Local media engine benchmarks (issue 6), on a 10 s 1920×1080 30 fps H.264 clip made here.

1. last-frame extraction vs ``ffmpeg -sseof -1 -i in.mp4 -update 1 out.png``, with a
   pixel check against the last frame of a full decode;
2. grain + grade pass speed as a multiple of real time;
3. our wall time / the same ffmpeg command line run raw (wrapper overhead);
4. TTS real-time factor for a 30-word sentence.

Wall times on a shared machine move with its load, so every figure is a median of
interleaved runs, and CPU seconds (which the load does not inflate) are given beside
them. ``python -m bench.run media`` prints the JSON.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from reelforge.media import frames, grade, tts
from reelforge.media.filtering import filter_args
from reelforge.media.grade import look_steps
from reelforge.media.probe import probe
from reelforge.media.tools import ffmpeg_exe

SECONDS = 10.0
SENTENCE = (
    "The old lighthouse keeper climbed the spiral stairs every evening, lit the great lamp, "
    "and watched the ships pass safely through the narrow channel until the morning sun rose again."
)
LOOK = {"look": "cinematic", "strength": 1.0, "grain": 0.25}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its children)."""
    cpu0, wall0 = _self_cpu() + _children_cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - wall0, _self_cpu() + _children_cpu() - cpu0


def make_clip(folder: Path) -> Path:
    """10 s of 1080p30 H.264 (x264 veryfast: default GOP of 250 frames, B-frames) + AAC."""
    clip = folder / "in.mp4"
    subprocess.run(
        [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={SECONDS}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}:sample_rate=48000",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(clip),
        ],
        check=True,
    )  # fmt: skip
    return clip


def _full_decode_last(clip: Path) -> np.ndarray:
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        last = None
        for last in container.decode(stream):  # noqa: B007 - we want the final one
            pass
    assert last is not None
    return last.to_ndarray(format="rgb24")


def bench_last_frame(clip: Path, work: Path, runs: int = 5) -> dict[str, Any]:
    ours_png, cli_png = work / "ours.png", work / "cli.png"
    cli = [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-sseof",
        "-1",
        "-i",
        str(clip),
    ]
    cli += ["-update", "1", str(cli_png)]
    ours, theirs = [], []
    for _ in range(runs):  # interleaved, so both see the same machine load
        ours.append(_timed(lambda: frames.last_frame(clip, ours_png)))
        theirs.append(_timed(lambda: subprocess.run(cli, check=True)))
    reference = _full_decode_last(clip)
    got = np.asarray(Image.open(ours_png).convert("RGB"))
    from_cli = np.asarray(Image.open(cli_png).convert("RGB"))
    ours_wall = statistics.median(w for w, _ in ours)
    cli_wall = statistics.median(w for w, _ in theirs)
    return {
        "ours_wall_s": round(ours_wall, 3),
        "ffmpeg_sseof_wall_s": round(cli_wall, 3),
        "speedup_wall": round(cli_wall / ours_wall, 2),
        "ours_cpu_s": round(statistics.median(c for _, c in ours), 3),
        "ffmpeg_sseof_cpu_s": round(statistics.median(c for _, c in theirs), 3),
        "identical_to_full_decode": bool(np.array_equal(got, reference)),
        "ffmpeg_cli_png_identical_to_full_decode": bool(np.array_equal(from_cli, reference)),
        "runs": runs,
    }


def bench_grade(clip: Path, work: Path, runs: int = 3) -> dict[str, Any]:
    info = probe(clip)
    out = work / "graded.mp4"
    raw_out = work / "raw.mp4"
    steps = look_steps(info, **LOOK)  # type: ignore[arg-type]
    # Exactly what the wrapper runs, minus the wrapper: the "equivalent command line".
    raw = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    raw += [*filter_args(info, raw_out, steps, "fast"), str(raw_out)]
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(_timed(lambda: asyncio.run(grade.film_look(clip, out, **LOOK))))  # type: ignore[arg-type]
        theirs.append(_timed(lambda: subprocess.run(raw, check=True)))
    ours_wall = statistics.median(w for w, _ in ours)
    raw_wall = statistics.median(w for w, _ in theirs)
    ours_cpu = statistics.median(c for _, c in ours)
    cores = os.cpu_count() or 1
    return {
        "pass": "cinematic look + grain 0.25, x264 ultrafast crf 21 (quality=fast), audio copied",
        "ours_wall_s": round(ours_wall, 3),
        "realtime_multiple_wall": round(SECONDS / ours_wall, 2),
        "cpu_s": round(ours_cpu, 3),
        # What an idle machine of this size could reach if the work spreads on all cores.
        "realtime_multiple_cpu_bound": round(SECONDS * cores / ours_cpu, 2),
        "raw_ffmpeg_wall_s": round(raw_wall, 3),
        "wrapper_ratio_wall": round(ours_wall / raw_wall, 3),
        "wrapper_ratio_cpu": round(ours_cpu / statistics.median(c for _, c in theirs), 3),
        "output_frames": probe(out).frames,
        "runs": runs,
    }


def bench_tts(work: Path, runs: int = 3) -> dict[str, Any]:
    voice = tts.registry().default()
    load_wall, _ = _timed(lambda: tts.load_voice(voice))
    results: list[tuple[float, float, float]] = []
    spoken: list[tts.Narration] = []
    for _ in range(runs):
        wall, cpu = _timed(lambda: spoken.append(tts.synthesize(SENTENCE, work / "n.wav")))
        results.append((wall, cpu, spoken[-1].duration))
    wall = statistics.median(r[0] for r in results)
    cpu = statistics.median(r[1] for r in results)
    audio = statistics.median(r[2] for r in results)
    cores = os.cpu_count() or 1
    return {
        "voice": voice.id,
        "words": len(SENTENCE.split()),
        "audio_s": round(audio, 2),
        "synth_wall_s": round(wall, 3),
        "rtf_wall": round(audio / wall, 2),
        "synth_cpu_s": round(cpu, 3),
        "rtf_cpu_bound": round(audio * min(cores, 2) / cpu, 2),
        "voice_load_s_once_per_process": round(load_wall, 2),
        "runs": runs,
    }


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rf-bench-media-") as tmp:
        work = Path(tmp)
        started = os.getloadavg()[0]
        clip = make_clip(work)
        figures = {
            "clip": "10 s 1920x1080 30 fps H.264 (x264 veryfast, GOP 250) + AAC",
            "cores": os.cpu_count(),
            "load_average_at_start": round(started, 2),
            "last_frame": bench_last_frame(clip, work),
            "grain_grade": bench_grade(clip, work),
            "tts": bench_tts(work),
            "load_average_at_end": round(os.getloadavg()[0], 2),
        }
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
