"""A planted secret never appears in logs or responses, whatever path it takes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter

from reelforge.api.app import create_app
from reelforge.container import Container
from reelforge.logs import get_logger, register_secret

CANARY = "canary-7f3c9a1e5b2d4c6f8a0b"


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    ours = next(h for h in root.handlers if getattr(h, "_reelforge", False))
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(ours.formatter)
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buf
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _leaky_router() -> APIRouter:
    router = APIRouter()
    log = get_logger("tests.canary")

    @router.get("/leak")
    async def leak() -> None:
        log.info(
            "calling_provider",
            headers={"Authorization": f"Bearer {CANARY}", "X-Api-Key": CANARY},
            url=f"https://api.example.com/v1/x?api_key={CANARY}&ok=1",
            payload={"nested": {"token": CANARY, "prompt": "a cat"}},
        )
        log.warning(f"raw message mentioning Key {CANARY}")
        logging.getLogger("thirdparty").error("stdlib line with %s", CANARY)
        raise RuntimeError(f"provider said: bad key {CANARY}")

    return router


async def test_canary_never_leaks(container: Container, captured_logs: io.StringIO) -> None:
    app = create_app(container, extra_routers=[_leaky_router()])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        responses = [
            await c.get("/v1/me", headers={"Authorization": f"Bearer {CANARY}"}),
            await c.post(
                "/v1/me/api-keys",
                headers={"Authorization": f"Bearer {CANARY}"},
                json={"label": CANARY, "api_key": CANARY},
            ),
            await c.get(f"/v1/me?token={CANARY}", headers={"X-Api-Key": CANARY}),
        ]
        # Values the process learns (stored credentials) are masked by value too.
        register_secret(CANARY)
        responses.append(await c.get("/leak"))
    logs = captured_logs.getvalue()
    assert "calling_provider" in logs and "RuntimeError" in logs, "the paths really logged"
    assert "[redacted]" in logs
    assert CANARY not in logs
    for r in responses:
        assert r.status_code >= 400
        assert CANARY not in r.text
        assert CANARY not in str(r.headers)
