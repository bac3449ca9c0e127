"""Seed 001 §11, the smoke matrix, row by row through the API of one sandbox server
(setup, create, generate, analytics and error-handling rows; the navigation rows are the
web studio's). Each row's thorough tests live beside its feature; this is the walk a new
user takes in their first ten minutes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.runway import create_app as runway_app
from tests.conftest import make_settings
from tests.helpers import png_bytes, serve_in_loop
from tests.integration.test_runs_api import wait_run

RUNWAY_KEY = "key_" + "5e" * 64


@pytest.fixture
async def user(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_loop(runway_app(EmulatorConfig(keys={RUNWAY_KEY}))) as runway:
        settings = make_settings(tmp_path / "home", provider_base_urls={"runway": runway})
        async with open_container(settings, start_runner=True) as container:
            key = settings.owner_key_path.read_text().strip()
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False),
                base_url="http://testserver",
                headers={"Authorization": f"Bearer {key}"},
                timeout=120,
            ) as client:
                yield client


def _friendly(answer: httpx.Response) -> dict[str, Any]:
    """An error a user can act on: a code, a message, remediation; never a stack trace."""
    error: dict[str, Any] = answer.json()["error"]
    assert error["code"] and error["message"] and error["remediation"], error
    assert "Traceback" not in answer.text and answer.status_code < 500, answer.text
    return error


async def test_setup_rows(user: httpx.AsyncClient) -> None:
    # Engine detection: ComfyUI detected, or a clear call to install it (not an error).
    engine = await user.get("/v1/setup/engines/comfyui")
    assert engine.status_code == 200, engine.text
    assert engine.json()["status"] in ("not_installed", "installed", "starting", "running")
    # Provider connect: a key in, the balance from the provider's API out.
    connected = await user.post(
        "/v1/setup/providers/runway/connect", json={"values": {"api_key": RUNWAY_KEY}}
    )
    assert connected.status_code == 200, connected.text
    assert connected.json()["ok"] and connected.json()["balance"] is not None
    # Healthcheck: every engine shows a status.
    matrix = (await user.get("/v1/setup/healthcheck")).json()
    rows = matrix["engines"] + matrix["providers"]
    assert rows and all(r["status"] for r in rows)
    runway = next(r for r in matrix["providers"] if r["id"] == "runway")
    assert runway["status"] == "connected"


async def test_create_rows(user: httpx.AsyncClient) -> None:
    photo = await user.post("/v1/uploads", files={"file": ("me.png", png_bytes(64, 64))})
    assert photo.status_code == 201, photo.text
    made = await user.post(
        "/v1/characters", json={"name": "Ava", "reference_images": [photo.json()["id"]]}
    )
    assert made.status_code == 201, made.text  # no random 401
    assert (await user.get(f"/v1/characters/{made.json()['id']}")).status_code == 200
    # A custom model without a checksum is added only with the warning acknowledged.
    body = {
        "name": "Film LoRA",
        "type": "lora",
        "url": "https://example.com/film.safetensors",
        "filename": "film.safetensors",
        "license": "MIT",
    }
    warned = await user.post("/v1/sources", json=body)
    assert _friendly(warned)["code"] == "CHECKSUM_MISSING"
    added = await user.post("/v1/sources", json={**body, "acknowledge_missing_checksum": True})
    assert added.status_code == 201, added.text


async def test_generate_rows(user: httpx.AsyncClient) -> None:
    # No 422 from schema drift: what GET /v1/presets/{id} describes is what it takes.
    preset = (await user.get("/v1/presets/cinematic_portrait_v1")).json()
    assert "prompt" in preset["input_schema"]["properties"]
    job = await user.post(
        "/v1/generate",
        json={"preset_id": "cinematic_portrait_v1", "prompt": "rain", "quality_level": "low"},
    )
    assert job.status_code in (200, 201, 202), job.text
    run = await wait_run(user, job.json()["job_id"])
    assert run["status"] == "succeeded", run.get("error")
    # Output appears in the gallery; the run in the job history.
    outputs = {o for s in run["steps"] for o in s["outputs"]}
    gallery = {a["id"] for a in (await user.get("/v1/artifacts")).json()["artifacts"]}
    assert outputs & gallery
    history = (await user.get("/v1/runs", params={"preset": "cinematic_portrait_v1"})).json()
    assert run["id"] in {r["id"] for r in history["runs"]}
    # Engine missing: a clear refusal naming the fix, never a server error.
    missing = await user.post(
        "/v1/generations", json={"model": "comfyui/no-such-template", "prompt": "x"}
    )
    assert _friendly(missing)["code"] in ("NOT_FOUND", "VALIDATION_ERROR", "DEPENDENCY_MISSING")


async def test_analytics_rows(user: httpx.AsyncClient) -> None:
    for name in ("usage", "spend", "providers"):
        answer = await user.get(f"/v1/analytics/{name}")
        assert answer.status_code == 200 and "ok" in answer.json(), answer.text


async def test_error_handling_rows(user: httpx.AsyncClient) -> None:
    # Consent: an identity workflow without it is a clear error, and nothing is created.
    photo = await user.post("/v1/uploads", files={"file": ("me.png", png_bytes(64, 64))})
    refused = await user.post(
        "/v1/runs",
        json={
            "preset": "identity_lock_portrait_v1",
            "inputs": {"prompt": "a portrait", "identity_reference": [photo.json()["id"]]},
        },
    )
    assert _friendly(refused)["code"] == "CONSENT_MISSING"
    assert (await user.get("/v1/runs")).json()["runs"] == []
    # Copy details: the text a button copies, with the run's facts and no secret.
    made = await user.post("/v1/generations", json={"model": "fal/flux-dev", "prompt": "x"})
    assert made.status_code == 202, made.text
    run = await wait_run(user, made.json()["id"])
    details = await user.get(f"/v1/runs/{run['id']}/details")
    assert details.status_code == 200 and run["id"] in details.text
    owner_key = user.headers["Authorization"].removeprefix("Bearer ")
    assert owner_key not in details.text and RUNWAY_KEY not in details.text
