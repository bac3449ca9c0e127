"""Provider keys never reach logs or errors: a planted canary key goes through a failing and
a retried call of each adapter while every logger records at DEBUG, unredacted."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest

from reelforge.domain.errors import ReelForgeError
from reelforge.domain.modes import Mode
from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.providers.base import Credential, GenerationRequest
from reelforge.providers.plugins import load_registry
from tests.helpers import serve_asgi

CANARY = "canary-7f3c9a1e5b2d4c6f8a0b-provider-key-0123456789"
REQUESTS = {
    "grok": GenerationRequest(model="grok-2-image", mode=Mode.T2I, prompt="x"),
    "kling": GenerationRequest(model="kling-v2-5-turbo", mode=Mode.T2V, prompt="x"),
    "runway": GenerationRequest(
        model="gen4.5", mode=Mode.T2V, prompt="x", params={"ratio": "1280:720", "duration": 2}
    ),
}


@pytest.fixture
def raw_logs() -> Iterator[io.StringIO]:
    """Everything logged, with no redaction in the way: the adapters must not log keys."""
    root = logging.getLogger()
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    # configure_logging quietens the HTTP libraries; here everything must speak.
    loggers = [root, *(logging.getLogger(n) for n in ("httpx", "httpcore", "reelforge"))]
    old = [logger.level for logger in loggers]
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield buf
    finally:
        root.removeHandler(handler)
        for logger, level in zip(loggers, old, strict=True):
            logger.setLevel(level)


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_a_canary_key_never_leaks(name: str, raw_logs: io.StringIO) -> None:
    spec = registry.load(name)
    cls = load_registry().get(name)
    assert cls is not None
    canary_values = dict.fromkeys(spec.sandbox_credential, CANARY)
    app = spec.create_app(EmulatorConfig(queue_seconds=0.01, run_seconds=0.01))
    with serve_asgi(app) as url:
        async with httpx.AsyncClient(timeout=10) as client:
            provider = cls(client, base_url=url)
            errors = []
            for values in (canary_values, {**spec.sandbox_credential, "secret_key": CANARY}):
                credential = Credential(name, values, "stored")
                app.state.emulator.faults.add("server_error", on="any", times=1)
                for _ in range(2):  # a 5xx first, then the provider's own refusal
                    try:
                        await provider.submit(REQUESTS[name], credential)
                    except ReelForgeError as exc:
                        errors.append(exc)
    assert errors, "the calls with the canary must fail"
    for exc in errors:
        assert CANARY not in str(exc) and CANARY not in repr(exc.to_dict())
    logged = raw_logs.getvalue()
    assert "HTTP Request" in logged, "the capture sees the HTTP client's own log lines"
    assert CANARY not in logged
