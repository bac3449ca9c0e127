"""The asset studio: a 4-variant pixel batch end to end in sandbox (POST /api/generate
through the engine and the in-process emulators, waiting for the result); a 64-frame
sprite sheet export; vectorising a 1024² image; the guest rate-limit check per request
(IP → limiter on memory://, the step 1 a guest's request pays)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import percentile
from reelforge.api.routes.assets_deps import limited_caller
from reelforge.app import api_app, open_container
from reelforge.apps.assets.exporters.pixel_sheet import SpriteSheetExporter
from reelforge.apps.assets.exporters.vector_svg import vectorise
from reelforge.domain.identity import Role
from reelforge.emulators.base.render import render_image
from reelforge.settings import Settings
from reelforge.storage import identity


async def _batches(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            home=Path(tmp) / "home",
            sandbox=True,
            log_level="WARNING",
            rate_limit_user_per_minute=0,
            rate_limit_key_per_minute=0,
            assets_guest_per_minute=10**7,
        )
        async with open_container(settings, start_runner=True) as container:
            async with container.db.transaction() as session:
                user = await identity.create_user(session, "bench", Role.MEMBER)
                _row, key = await identity.create_api_key(session, user.id)
            app = api_app(container)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://bench",
                headers={"Authorization": f"Bearer {key}"},
                timeout=120,
            ) as client:
                times = []
                for i in range(n + 1):
                    t0 = time.perf_counter()
                    r = await client.post(
                        "/api/generate",
                        json={"mode": "pixel", "prompt": "a knight", "batchCount": 4, "seed": i},
                    )
                    elapsed = time.perf_counter() - t0
                    assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
                    if i:  # the first one warms the process up
                        times.append(elapsed)
            guest = await _guest_checks(container, 2000)
    return {
        "batch_4_pixel_s": {
            "n": n,
            "median": round(statistics.median(times), 3),
            "max": round(max(times), 3),
            "note": "includes the sandbox emulator's simulated image time (0.3 s a task)",
        },
        "guest_rate_limit_check_ms": guest,
    }


async def _guest_checks(container: Any, n: int) -> dict[str, Any]:
    from starlette.requests import Request
    from starlette.responses import Response

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/generate",
        # A returning guest: their own guest cookie (a first visit also mints one).
        "headers": [(b"cookie", b"rf_assets_guest=" + b"g" * 32)],
        "client": ("203.0.113.5", 1234),
        "query_string": b"",
    }
    times = []
    for i in range(n + 50):
        request = Request(scope)
        t0 = time.perf_counter()
        await limited_caller(request, Response(), container)
        if i >= 50:
            times.append(time.perf_counter() - t0)
    return {
        "n": n,
        "p50": round(percentile(times, 50) * 1e3, 4),
        "p99": round(percentile(times, 99) * 1e3, 4),
        "goal": "< 0.5 ms",
    }


def _sheet() -> dict[str, Any]:
    frames = [render_image(f"frame {i}", i, width=512, height=512) for i in range(64)]
    exporter = SpriteSheetExporter()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        files = exporter.export(frames, {"grid": 32, "scale": 4, "colors": 16})
        times.append(time.perf_counter() - t0)
    return {
        "frames": 64,
        "frame_px": 512,
        "sheet_bytes": len(files["sheet.png"]),
        "median_s": round(statistics.median(times), 3),
        "goal": "< 1 s",
    }


def _vector() -> dict[str, Any]:
    image = render_image("a vector badge", 3, width=1024, height=1024)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        svg = vectorise(image, 8)
        times.append(time.perf_counter() - t0)
    return {
        "px": 1024,
        "colors": 8,
        "svg_bytes": len(svg),
        "median_s": round(statistics.median(times), 3),
        "goal": "< 2 s",
    }


def run() -> dict[str, Any]:
    figures = asyncio.run(_batches(5))
    figures["sprite_sheet_64"] = _sheet()
    figures["vectorise_1024"] = _vector()
    return figures
