"""Model download speed: ReelForge's downloader (safe fetcher, streamed to a .part file,
sha256 verified while it streams, moved into place) against ``curl`` of the same file from
the same local server on 127.0.0.1. Goal: at least 0.9x curl's speed, checksum included.

The server is a separate process sending the file with sendfile() (Range supported), so it
is not what either client waits on. Runs alternate (curl, ours, curl + sha256sum) ``--repeat`` times; medians are shown.

    PYTHONPATH=src python -m bench.bench_download [--mb 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.server import free_port

# A minimal HTTP/1.1 file server with Range, run as its own process (python -c).
_SERVER = r"""
import os, re, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
PATH, PORT = sys.argv[1], int(sys.argv[2])
SIZE = os.path.getsize(PATH)
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        start = 0
        m = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
        if m:
            start = int(m.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{SIZE - 1}/{SIZE}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(SIZE - start))
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("ETag", '"bench"')
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        with open(PATH, "rb") as f:
            self.connection.sendfile(f, start, SIZE - start)
ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
"""


def _make_file(path: Path, mb: int) -> str:
    hasher = hashlib.sha256()
    block = os.urandom(1024 * 1024)
    with path.open("wb") as fh:
        for i in range(mb):
            chunk = block[i % 997 :] + block[: i % 997]  # not one repeated block
            fh.write(chunk)
            hasher.update(chunk)
    return hasher.hexdigest()


def _curl(url: str, out: Path, with_sha: bool) -> float:
    t0 = time.perf_counter()
    subprocess.run(["curl", "-s", "-f", "-o", str(out), url], check=True)
    if with_sha:
        subprocess.run(["sha256sum", str(out)], check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t0
    out.unlink()
    return elapsed


def _partial(paths: tuple[Path, Path], src: Path, size: int, url: str, sha: str) -> None:
    """A partial download of the first ``size`` bytes, as an interrupted one leaves it."""
    part, meta = paths
    with src.open("rb") as fh:
        part.write_bytes(fh.read(size))
    meta.write_text(json.dumps({"url": url, "sha256": sha, "etag": '"bench"'}))


async def _ours(url: str, dest: Path, sha: str, host: str, resume_from: int = 0) -> float:
    from reelforge.storage.fetcher import SafeFetcher
    from reelforge.storage.model_download import download_model_file, part_paths

    fetcher = SafeFetcher(max_bytes=1 << 40, timeout_seconds=600, allow_hosts=[host])
    try:
        if resume_from:
            _partial(part_paths(dest), dest.with_name("src.bin"), resume_from, url, sha)
        t0 = time.perf_counter()
        result = await download_model_file(fetcher, url, dest, sha256=sha, max_bytes=1 << 40)
        elapsed = time.perf_counter() - t0
        assert result.verified and result.resumed_from == resume_from
    finally:
        await fetcher.aclose()
    await asyncio.to_thread(dest.unlink)
    return elapsed


def run(mb: int = 200, repeat: int = 5) -> dict[str, Any]:
    if shutil.which("curl") is None:
        return {"error": "curl is not installed"}
    with tempfile.TemporaryDirectory(prefix="rf-bench-dl-") as tmp:
        root = Path(tmp)
        src = root / "src.bin"
        sha = _make_file(src, mb)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", _SERVER, str(src), str(port)])
        try:
            url = f"http://127.0.0.1:{port}/model.safetensors"
            for _ in range(100):
                try:
                    _curl(url, root / "probe", with_sha=False)
                    break
                except subprocess.CalledProcessError:
                    time.sleep(0.05)
            size = mb * 1024 * 1024
            host = f"127.0.0.1:{port}"
            dest = root / "model.safetensors"
            # Interleaved (curl, ours) pairs: on a shared machine the load drifts, and a
            # pair sees the same load; the ratio is the median of the pairs' ratios.
            curl: list[float] = []
            curl_sha: list[float] = []
            ours: list[float] = []
            for _ in range(repeat):
                curl.append(_curl(url, root / "curl.out", False))
                ours.append(asyncio.run(_ours(url, dest, sha, host)))
                curl_sha.append(_curl(url, root / "curl.out", True))
            half = [asyncio.run(_ours(url, dest, sha, host, size // 2)) for _ in range(repeat)]
        finally:
            server.terminate()
            server.wait()

    def mbps(seconds: list[float]) -> float:
        return round(size / statistics.median(seconds) / 1e6, 1)

    return {
        "file_mb": mb,
        "repeat": repeat,
        "curl_mb_per_s": mbps(curl),
        "curl_then_sha256sum_mb_per_s": mbps(curl_sha),
        "reelforge_verified_mb_per_s": mbps(ours),
        "ratio_vs_curl": round(
            statistics.median(c / o for c, o in zip(curl, ours, strict=True)), 2
        ),
        "ratio_vs_curl_per_pair": [round(c / o, 2) for c, o in zip(curl, ours, strict=True)],
        "ratio_vs_curl_then_sha256sum": round(
            statistics.median(c / o for c, o in zip(curl_sha, ours, strict=True)), 2
        ),
        "goal_ratio_vs_curl": 0.9,
        "resume_from_half_seconds": round(statistics.median(half), 3),
        "full_seconds": round(statistics.median(ours), 3),
        "note": "127.0.0.1, sendfile server in its own process; ours includes sha256 of every "
        "byte, the .part file and the move into place; resume hashes the first half again",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(run(args.mb, args.repeat), indent=2))


if __name__ == "__main__":
    main()
