"""A preset run on the scale-out deployment (PostgreSQL, Dramatiq workers on Redis, S3):
the run records what was asked, and a repair links the runs, as on SQLite."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reelforge.app import api_app
from tests.integration.preset_helpers import run_preset, upload
from tests.media_helpers import make_video
from tests.stack import open_stack

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.s3, pytest.mark.slow]


async def test_preset_run_on_postgres_and_workers(tmp_path: Path, moto_endpoint: str) -> None:
    async with open_stack("scaleout", tmp_path / "home", moto_endpoint) as container:
        key = container.settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://t",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as client:
            video = await upload(client, make_video(tmp_path / "v.mp4", seconds=1.0, audio=False))
            run = await run_preset(
                client, "color_grade_film_grain_v1", {"video": video, "style": "cool"}, "pro"
            )
            assert run["status"] == "succeeded", run
            assert run["quality"] == "pro" and run["inputs"] == {"video": video, "style": "cool"}
            assert run["consent_given"] is True and run["repair_of"] is None
            listed = (await client.get("/v1/runs")).json()["runs"]
            assert listed[0]["quality"] == "pro" and listed[0]["preset"] == run["preset"]
