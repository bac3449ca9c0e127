"""Secrets (issue 25): canaries planted where users put secrets — provider keys, the
studio's sign-in (a key given to POST /v1/session, a wrong one too), the asset studio's
account password, the API keys themselves — then every GET operation of the document
(core and products, with the ids of real objects), the diagnostics bundle, the log lines
and the database files are searched for them. Goal: 0 leaks.

tests/integration/test_canary.py covers the redaction paths (log lines, an exception, a
header); this one covers every endpoint as products add them.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from reelforge.container import Container
from tests.security.conftest import asgi_client, new_key
from tests.security.tenancy_objects import make_objects
from tests.security.test_tenancy import _fund, _operations, _url, fake_preview
from tests.security.test_tenancy import container as container  # the runner started

PROVIDER_CANARY = "canary-provider-4d1e8b7a2c9f"
PASSWORD_CANARY = "canary-password-9a7f3e1b"
WRONG_KEY_CANARY = "rf_canary-wrong-key-6c2d8e0f"
PROVIDERS = {"fal": "api_key", "replicate": "api_token", "runway": "api_key", "luma": "api_key"}
FIGURES: dict[str, int] = {}


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    ours = next((h for h in root.handlers if getattr(h, "_reelforge", False)), None)
    if ours is not None:
        handler.setFormatter(ours.formatter)
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buf
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


def _leaks(text: str, canaries: list[str]) -> list[str]:
    return [c[:12] + "…" for c in canaries if c in text]


@pytest.mark.slow
async def test_no_secret_leaves_through_any_endpoint_log_or_file(
    container: Container,
    client: httpx.AsyncClient,
    app: FastAPI,
    openapi: dict[str, Any],
    captured_logs: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_preview(monkeypatch)  # as in the tenancy suite
    a_id, a_key = await new_key(container, "alice")
    b_id, b_key = await new_key(container, "bob")
    for user in (a_id, b_id):
        await _fund(client, user)
    leaks: list[str] = []
    checks = 0
    async with (
        asgi_client(app, a_key) as a,
        asgi_client(app, b_key) as b,
        asgi_client(app, None) as browser,
    ):
        made = await a.post("/v1/me/keys", json={"label": "extra"})
        assert made.status_code == 201, made.text
        second_key = made.json()["key"]
        # A's objects first, made in sandbox: with A's own keys stored, A's runs would go
        # to the real providers.
        ids = await make_objects(a, b, client)
        for name, field in PROVIDERS.items():
            r = await a.put(
                f"/v1/providers/{name}/credential", json={"values": {field: PROVIDER_CANARY}}
            )
            assert r.status_code == 200, (name, r.text)
        canaries = [PROVIDER_CANARY, PASSWORD_CANARY, WRONG_KEY_CANARY, a_key, second_key]

        # The studio's sign-in: a wrong link token, a wrong key, A's key, who-am-I by cookie.
        session_answers = [
            await browser.get("/login", params={"token": WRONG_KEY_CANARY}),
            await browser.post("/v1/session", json={"api_key": WRONG_KEY_CANARY}),
            await browser.post("/v1/session", json={"api_key": a_key}),
        ]
        assert session_answers[2].status_code == 200, session_answers[2].text
        session_answers.append(await browser.get("/v1/session"))
        signup = await browser.post(
            "/v1/assets/accounts/signup",
            json={"email": "ann@example.com", "password": PASSWORD_CANARY},
        )
        session_answers += [
            signup,
            await browser.post(
                "/v1/assets/accounts/signin",
                json={"email": "ann@example.com", "password": PASSWORD_CANARY},
            ),
        ]
        for r in session_answers:
            checks += 1
            found = _leaks(r.text + str(r.headers), canaries)
            # The cookie carries a session token, never the key it was made from.
            leaks += [f"{r.request.method} {r.request.url.path}: {f}" for f in found]

        # Every GET of the document, as A and as the owner (admin views, diagnostics).
        for path, method, _op in _operations(openapi):
            if method != "get" or path.endswith(("/events", "/download/events")):
                continue
            names = re.findall(r"\{([^}:]+)", path)
            if not all(n in ids for n in names):
                continue
            for who in (a, client):
                r = await who.get(_url(path, ids))
                checks += 1
                found = _leaks(r.text + str(r.headers), canaries)
                leaks += [f"GET {path}: {f}" for f in found]
    logs = captured_logs.getvalue()
    checks += 1
    leaks += [f"log: {f}" for f in _leaks(logs, canaries)]
    home = container.settings.home
    for db_file in sorted(home.glob("*.db*")):
        checks += 1
        data = db_file.read_bytes().decode("latin-1")
        leaks += [f"{db_file.name}: {f}" for f in _leaks(data, canaries)]
    FIGURES["checks"] = checks
    print(f"\nsecrets: {checks} checks, {len(leaks)} leaks")
    assert logs, "the run logged something"
    assert checks > 150
    assert not leaks, leaks
