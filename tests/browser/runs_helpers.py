"""Runs and media made through the API for the Presets, History and Gallery browser tests."""

from __future__ import annotations

import io
import math
import re
import struct
import time
import wave
from typing import Any

from tests.browser.conftest import Studio

FINAL = {"succeeded", "failed", "canceled"}


def png_bytes(color: tuple[int, int, int] = (200, 150, 120), side: int = 256) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (side, side), color)
    draw = ImageDraw.Draw(img)  # a face-ish oval so previews are not a flat square
    draw.ellipse((side // 4, side // 6, 3 * side // 4, 5 * side // 6), fill=(230, 190, 160))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def wav_bytes(seconds: float = 0.5, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
            for i in range(int(seconds * rate))
        )
        w.writeframes(frames)
    return out.getvalue()


def upload(studio: Studio, name: str, data: bytes, content_type: str) -> str:
    return str(studio.api("POST", "/v1/uploads", files={"file": (name, data, content_type)})["id"])


def wait_run(studio: Studio, run_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = studio.api("GET", f"/v1/runs/{run_id}")
        if run["status"] in FINAL or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def preset_run(studio: Studio, preset: str, inputs: dict[str, Any], **kw: Any) -> dict[str, Any]:
    body = {"preset": preset, "inputs": inputs, "quality": "low", **kw}
    return wait_run(studio, studio.api("POST", "/v1/runs", json=body)["id"])


def start_failing_run(studio: Studio) -> str:
    """Start a run that fails in the sandbox: the ComfyUI emulator has no such checkpoint,
    so the step ends in DEPENDENCY_MISSING with its remediation."""
    pipeline = {
        "nodes": [
            {
                "id": "portrait",
                "model": "comfyui/sdxl-txt2img",
                "prompt": "a lighthouse at dusk",
                "params": {"checkpoint": "no_such_checkpoint.safetensors"},
            }
        ]
    }
    return str(studio.api("POST", "/v1/runs", json={"pipeline": pipeline})["id"])


def failed_run(studio: Studio) -> dict[str, Any]:
    run = wait_run(studio, start_failing_run(studio))
    assert run["status"] == "failed", run
    return run


def real_errors(page: Any) -> list[str]:
    """Console errors, less the browser's own line for an answer the page shows on purpose
    (a 4xx refusal such as CONSENT_MISSING)."""
    return [
        e
        for e in page.rf_log.errors
        if not re.search(r"Failed to load resource: the server responded with a status of 4\d\d", e)
    ]
