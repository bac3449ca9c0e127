"""`reelforge emulate` serves every provider emulator on one port, a path prefix each."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import free_port


def test_emulate_serves_each_provider_under_its_prefix() -> None:
    port = free_port()
    exe = Path(sys.executable).with_name("reelforge")
    proc = subprocess.Popen(
        [str(exe), "emulate", "--port", str(port), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        listing = json.loads(_read_json(proc))["emulators"]
        assert {"kling", "runway", "fal", "comfyui", "atlas"} <= set(listing)
        deadline = time.monotonic() + 60
        while True:
            try:
                stats = httpx.get(f"{listing['runway']}/__emulator/stats", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "emulate did not start"
                time.sleep(0.2)
        assert stats.json()["provider"] == "runway"
        # A real contract path answers with the provider's own auth error.
        r = httpx.get(f"{listing['runway']}/v1/tasks/x", timeout=5)
        assert r.status_code in (400, 401)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _read_json(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("}"):
            break
    return "".join(lines)
