"""Request bodies are bounded before they are read whole: 413 PAYLOAD_TOO_LARGE."""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from reelforge.app import api_app, open_container
from tests.conftest import make_settings
from tests.helpers import png_bytes


@pytest.fixture
async def small(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(tmp_path / "home", max_body_bytes=4096, upload_max_bytes=20_000)
    async with open_container(settings) as container:
        key = settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
        ) as c:
            yield c


def _noisy_png() -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (40, 40), random.Random(7).randbytes(40 * 40 * 3)).save(buf, "PNG")
    return buf.getvalue()


def _too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert error["detail"]["limit_bytes"] == limit
    assert error["remediation"] and error["request_id"]


async def test_default_limit_refuses_a_20_mb_prompt(client: httpx.AsyncClient) -> None:
    body = {"model": "local/tts", "prompt": "x" * (20 * 1024 * 1024)}
    response = await client.post("/v1/generations", json=body)
    _too_large(response, 4 * 1024 * 1024)
    assert (await client.get("/v1/runs")).json()["runs"] == []


async def test_declared_length_refused_before_reading(small: httpx.AsyncClient) -> None:
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(100):
            read.append(1)
            yield b"x" * 1000

    response = await small.post(
        "/v1/runs",
        content=body(),
        headers={"Content-Type": "application/json", "Content-Length": "100000"},
    )
    _too_large(response, 4096)
    assert response.json()["error"]["detail"]["content_length"] == 100_000
    assert len(read) <= 1  # nothing (or the first chunk the transport took) was consumed


async def test_chunked_body_is_counted_as_it_streams(small: httpx.AsyncClient) -> None:
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        yield b'{"pipeline": {"nodes": [{"id": "a", "prompt": "'
        for _ in range(1000):
            sent.append(1)
            yield b"y" * 1000
        yield b'"}]}}'

    response = await small.post(
        "/v1/runs", content=body(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _too_large(response, 4096)
    assert len(sent) < 20  # stopped soon after the limit, not after reading it all


async def test_small_bodies_pass_and_uploads_have_their_own_limit(
    small: httpx.AsyncClient,
) -> None:
    noisy = _noisy_png()
    assert 4096 < len(noisy) < 20_000  # over the JSON limit, under the upload limit
    ok = await small.post("/v1/uploads", files={"file": ("a.png", noisy, "image/png")})
    assert ok.status_code == 201, ok.text
    big = png_bytes(64, 64) + b"\0" * 200_000
    response = await small.post("/v1/uploads", files={"file": ("b.png", big, "image/png")})
    _too_large(response, 20_000 + 64 * 1024)
