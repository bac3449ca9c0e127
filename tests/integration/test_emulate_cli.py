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


def test_emulate_with_a_state_file_answers_after_a_restart(tmp_path: Path) -> None:
    """`--state FILE`: a task submitted before the emulators restart is there after it."""
    port, state = free_port(), tmp_path / "emulate.db"
    headers = {"Authorization": "Key fal-sandbox-key"}
    base = f"http://127.0.0.1:{port}/fal"
    first = _emulate(port, state)
    try:
        _wait_up(base)
        r = httpx.post(f"{base}/fal-ai/flux/dev", json={"prompt": "a fox"}, headers=headers)
        assert r.status_code == 200, r.text
        request_id = r.json()["request_id"]
    finally:
        first.terminate()
        first.wait(timeout=10)
    second = _emulate(port, state)
    try:
        _wait_up(base)
        status = httpx.get(
            f"{base}/fal-ai/flux/requests/{request_id}/status", headers=headers, timeout=5
        )
        assert status.status_code in (200, 202), status.text
        assert status.json()["status"] in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED")
    finally:
        second.terminate()
        second.wait(timeout=10)


def _emulate(port: int, state: Path) -> subprocess.Popen[str]:
    exe = Path(sys.executable).with_name("reelforge")
    return subprocess.Popen(
        [str(exe), "emulate", "--port", str(port), "--state", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/__emulator/stats", timeout=2)
            return
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "emulate did not start"
            time.sleep(0.2)


def _read_json(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("}"):
            break
    return "".join(lines)
