"""A bounded loopback soak (issue 25, "Load"): ``reelforge serve`` in sandbox as a real
subprocess, a closed loop of mixed API calls and runs for ``--minutes`` (default 10),
sampling the server's RSS and open files as it goes; p50/p99 per kind of call at the end.

Not run in CI. Flat means: the last samples' RSS and open files are close to the first
after warm-up (the script prints the growth; it asserts nothing).

    python bench/bench_soak.py --minutes 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx

from bench.loadgen import percentile
from bench.server import reelforge_server

READS = [
    "/healthz",
    "/v1/me",
    "/v1/models",
    "/v1/runs?limit=20",
    "/v1/artifacts?limit=20",
    "/v1/credits",
    "/v1/credits/ledger?limit=20",
    "/v1/presets",
    "/v1/pipelines",
    "/v1/market/services",
    "/v1/assets/modes",
]
ROOT = Path(__file__).resolve().parent.parent  # the checkout: bench.traced_serve is in it
GENERATION = {"model": "fal/flux-dev", "prompt": "a lighthouse at dusk, soak"}


def sample(pid: int) -> tuple[float, int]:
    """(RSS in MiB, open file descriptors) of the server process."""
    rss_kib = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kib = int(line.split()[1])
    return rss_kib / 1024, len(os.listdir(f"/proc/{pid}/fd"))


async def worker(
    client: httpx.AsyncClient,
    deadline: float,
    run_share: float,
    latencies: dict[str, list[float]],
    statuses: Counter[str],
    runs: list[str],
    rng: random.Random,
) -> None:
    while time.monotonic() < deadline:
        if rng.random() < run_share:
            kind, method, url, body = "run", "POST", "/v1/generations", GENERATION
        elif runs and rng.random() < 0.3:
            kind, method, url, body = "run_get", "GET", f"/v1/runs/{rng.choice(runs)}", None
        else:
            url = rng.choice(READS)
            kind, method, body = url.split("?")[0], "GET", None
        start = time.perf_counter()
        try:
            r = await client.request(method, url, json=body)
        except httpx.HTTPError as exc:
            statuses[f"{kind} {type(exc).__name__}"] += 1
            continue
        latencies[kind].append(time.perf_counter() - start)
        statuses[f"{kind} {r.status_code}"] += 1
        if kind == "run" and r.status_code == 202:
            runs.append(r.json()["id"])
            del runs[:-200]  # poll recent ones


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute (0 with fewer than two)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / var


WARM_UP_SAMPLES = 2  # samples (at --every seconds) before the figures start


async def soak(
    minutes: float,
    concurrency: int,
    every: float,
    run_share: float,
    trace: Path | None,
    trace_frames: int = 12,
) -> None:
    env = {
        "REELFORGE_SANDBOX": "1",
        "REELFORGE_RATE_LIMIT_USER_PER_MINUTE": "1000000",
        "REELFORGE_RATE_LIMIT_KEY_PER_MINUTE": "1000000",
    }
    command = None
    if trace is not None:  # tracemalloc in the server; snapshots after warm-up and at the end
        env["REELFORGE_BENCH_TRACE_DIR"] = str(trace)
        env["REELFORGE_BENCH_TRACE_FRAMES"] = str(trace_frames)
        env["REELFORGE_BENCH_TRACE_NEEDLE"] = GENERATION["prompt"]
        env["REELFORGE_BENCH_TRACE_EVERY"] = str(every)
        command = [sys.executable, "-m", "bench.traced_serve"]
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    with reelforge_server(env, command=command) as (base, key, _home, pid):
        latencies: dict[str, list[float]] = defaultdict(list)
        statuses: Counter[str] = Counter()
        runs: list[str] = []
        samples: list[tuple[float, float, int, int]] = []
        started = time.monotonic()
        deadline = started + minutes * 60
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30, limits=limits
        ) as client:
            rng = random.Random(25)
            tasks = [
                asyncio.create_task(
                    worker(client, deadline, run_share, latencies, statuses, runs, rng)
                )
                for _ in range(concurrency)
            ]
            print(f"{'t_s':>6} {'rss_mib':>8} {'fds':>5} {'requests':>9}")
            while time.monotonic() < deadline:
                rss, fds = sample(pid)
                done = sum(len(v) for v in latencies.values())
                t = time.monotonic() - started
                samples.append((t, rss, fds, done))
                print(f"{t:6.0f} {rss:8.1f} {fds:5d} {done:9d}", flush=True)
                if trace is not None and len(samples) == WARM_UP_SAMPLES + 1:
                    os.kill(pid, signal.SIGUSR1)
                await asyncio.sleep(min(every, max(0.0, deadline - time.monotonic())))
            await asyncio.gather(*tasks)
            rss, fds = sample(pid)
            samples.append((time.monotonic() - started, rss, fds, 0))
            if trace is not None:
                os.kill(pid, signal.SIGUSR1)
                for _ in range(600):  # a snapshot of a big heap takes a while
                    if (trace / "snap-2.txt").exists():
                        break
                    await asyncio.sleep(0.5)
            finished: Counter[str] = Counter()
            for run_id in runs[-50:]:
                r = await client.get(f"/v1/runs/{run_id}")
                finished[r.json().get("status", "?") if r.status_code == 200 else "http"] += 1
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in latencies.values())
    everything = [x for v in latencies.values() for x in v]
    print(f"\nsoak: {elapsed:.0f} s, {total} requests ({total / elapsed:.1f}/s), c={concurrency}")
    print(f"{'kind':<24} {'n':>6} {'p50_ms':>8} {'p99_ms':>8}")
    for kind, values in sorted(latencies.items()):
        p50, p99 = percentile(values, 50) * 1000, percentile(values, 99) * 1000
        print(f"{kind:<24} {len(values):>6} {p50:8.1f} {p99:8.1f}")
    p50, p99 = percentile(everything, 50) * 1000, percentile(everything, 99) * 1000
    print(f"{'all':<24} {total:>6} {p50:8.1f} {p99:8.1f}")
    errors = {k: v for k, v in statuses.items() if not k.split()[-1].startswith(("2", "3"))}
    print(f"non-2xx: {errors or 'none'}")
    print(f"last 50 runs: {dict(finished)}")
    warm = samples[min(WARM_UP_SAMPLES, len(samples) - 1)]
    last = samples[-1]
    after = samples[samples.index(warm) :]
    rss_rate = slope_per_minute([(t, r) for t, r, _, _ in after])
    fd_rate = slope_per_minute([(t, float(f)) for t, _, f, _ in after])
    print(
        f"after warm-up (t={warm[0]:.0f} s → {last[0]:.0f} s): RSS {warm[1]:.1f} → {last[1]:.1f} MiB"
        f" ({last[1] - warm[1]:+.1f}), open files {warm[2]} → {last[2]} ({last[2] - warm[2]:+d})"
    )
    print(
        f"growth after warm-up (least squares over {len(after)} samples):"
        f" RSS {rss_rate:+.2f} MiB/min, open files {fd_rate:+.2f}/min"
    )
    # Bounded things fill during the first minutes (emulator tasks up to their bound,
    # SQLite page caches, the render cache): the second half says whether it levels off.
    late = after[len(after) // 2 :]
    print(
        f"growth in the second half (t={late[0][0]:.0f} s → {late[-1][0]:.0f} s):"
        f" RSS {slope_per_minute([(t, r) for t, r, _, _ in late]):+.2f} MiB/min"
        f" ({late[-1][1] - late[0][1]:+.1f} MiB), open files {late[-1][2] - late[0][2]:+d}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--every", type=float, default=15.0, help="seconds between samples")
    parser.add_argument(
        "--run-share", type=float, default=0.05, help="share of calls that are runs"
    )
    parser.add_argument(
        "--trace",
        type=Path,
        default=None,
        help="run the server under tracemalloc (bench/traced_serve.py); snapshots go here",
    )
    parser.add_argument(
        "--trace-frames",
        type=int,
        default=12,
        help="traceback depth; 0: no tracemalloc, only the heap figures (full speed)",
    )
    args = parser.parse_args()
    asyncio.run(
        soak(
            args.minutes,
            args.concurrency,
            args.every,
            args.run_share,
            args.trace,
            args.trace_frames,
        )
    )


if __name__ == "__main__":
    main()
