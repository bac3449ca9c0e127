"""Studio sign-in: the one-time login link, API-key sessions, cookies, CSRF, sign-out,
and sessions that die with their user or key (WEBCONTRACT.md)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from reelforge.api.web.login_links import login_url, owner_login_token
from reelforge.app import api_app
from reelforge.container import Container
from reelforge.storage.tables import utcnow
from reelforge.storage.web_tables import LoginTokenRow
from tests.integration.test_users_api import bearer, key_for, make_user


def browser(container: Container, base_url: str = "http://testserver") -> httpx.AsyncClient:
    """A client with a cookie jar and no Authorization header, as a browser is."""
    transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url, timeout=60)


@pytest.fixture
async def web(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(container) as c:
        yield c


def set_cookies(r: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the raw header, attributes and all)."""
    return {h.split("=", 1)[0]: h for h in r.headers.get_list("set-cookie")}


async def sign_in_by_link(container: Container, web: httpx.AsyncClient) -> str:
    token = await owner_login_token(container.db, container.settings)
    r = await web.get(f"/login?token={token}&next=/studio")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/studio"
    return token


async def test_login_link_signs_in_once_with_the_right_cookies(
    container: Container, web: httpx.AsyncClient
) -> None:
    token = await owner_login_token(container.db, container.settings)
    url = login_url(container.settings, token)
    assert url == f"http://127.0.0.1:{container.settings.port}/login?token={token}"
    r = await web.get(f"/login?token={token}&next=/studio")
    assert r.status_code == 303 and r.headers["location"] == "/studio"
    cookies = set_cookies(r)
    session, csrf = cookies["rf_session"].lower(), cookies["rf_csrf"].lower()
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session
    assert "httponly" not in csrf and "samesite=strict" in csrf
    assert "secure" not in session  # plain http
    assert token not in r.headers.get("set-cookie", "")  # the session token is new

    me = await web.get("/v1/session")
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["user"]["role"] == "owner" and body["csrf_token"] == web.cookies["rf_csrf"]
    owner_key = container.settings.owner_key_path.read_text().strip()
    assert owner_key not in me.text and owner_key not in r.headers.get("set-cookie", "")
    # The same link a second time: refused, with a page saying what to do.
    async with browser(container) as other:
        again = await other.get(f"/login?token={token}")
        assert again.status_code == 401 and "already used" in again.text
        assert "reelforge login-url" in again.text and "set-cookie" not in again.headers
        assert (await other.get("/v1/session")).status_code == 401


async def test_login_link_expires_and_next_stays_on_this_server(
    container: Container, web: httpx.AsyncClient
) -> None:
    token = await owner_login_token(container.db, container.settings)
    async with container.db.transaction() as session:
        await session.execute(
            update(LoginTokenRow).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = await web.get(f"/login?token={token}")
    assert r.status_code == 401 and "expired" in r.text
    assert (await web.get("/login?token=nonsense")).status_code == 401
    fresh = await owner_login_token(container.db, container.settings)
    r = await web.get(f"/login?token={fresh}&next=//evil.example/x")
    assert r.status_code == 303 and r.headers["location"] == "/"


async def test_cookie_is_secure_when_served_over_https(container: Container) -> None:
    async with browser(container, "https://testserver") as web:
        token = await owner_login_token(container.db, container.settings)
        r = await web.get(f"/login?token={token}")
        assert r.status_code == 303
        assert all("secure" in h.lower() for h in set_cookies(r).values())
        assert (await web.get("/v1/session")).status_code == 200


async def test_csrf_refuses_cookie_writes_without_the_token(
    container: Container, web: httpx.AsyncClient
) -> None:
    await sign_in_by_link(container, web)
    body = {"label": "from the browser"}
    refused = await web.post("/v1/me/keys", json=body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "CSRF_FAILED"
    wrong = await web.post("/v1/me/keys", json=body, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.json()["error"]["code"] == "CSRF_FAILED"
    csrf = (await web.get("/v1/session")).json()["csrf_token"]
    ok = await web.post("/v1/me/keys", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201, ok.text
    # A bearer key needs no CSRF token (no cookie is sent by scripts).
    owner_key = container.settings.owner_key_path.read_text().strip()
    async with browser(container) as script:
        r = await script.get("/v1/me", headers=bearer(owner_key))
        assert r.status_code == 200


async def test_api_key_sign_in_sign_out_and_failures_rate_limited(
    container: Container, client: httpx.AsyncClient, web: httpx.AsyncClient
) -> None:
    member = await make_user(client, name="Mia")
    key = await key_for(client, member["id"])
    r = await web.post("/v1/session", json={"api_key": key})
    assert r.status_code == 200, r.text
    assert r.json()["user"] == {"id": member["id"], "name": "Mia", "role": "member", "scopes": None}
    assert key not in r.text and key not in r.headers.get("set-cookie", "")
    csrf = r.json()["csrf_token"]
    assert (await web.get("/v1/me")).json()["id"] == member["id"]
    # Sign-out needs the CSRF token too; then the old cookie is worthless.
    old = web.cookies["rf_session"]
    assert (await web.delete("/v1/session")).status_code == 403
    out = await web.delete("/v1/session", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert "rf_session" not in web.cookies
    async with browser(container) as replay:
        replay.cookies.set("rf_session", old)
        gone = await replay.get("/v1/session")
        assert gone.status_code == 401 and gone.json()["error"]["code"] == "AUTH_FAILED"

    for _ in range(container.settings.session_attempts_per_minute):
        bad = await web.post("/v1/session", json={"api_key": "rf_not-a-key"})
        assert bad.status_code == 401
    limited = await web.post("/v1/session", json={"api_key": key})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "RATE_LIMITED"
    assert int(limited.headers["retry-after"]) >= 1


async def test_deactivated_user_or_revoked_key_ends_the_session(
    container: Container, client: httpx.AsyncClient
) -> None:
    member = await make_user(client, name="Leaving")
    key = await key_for(client, member["id"])
    async with browser(container) as web, browser(container) as web2:
        assert (await web.post("/v1/session", json={"api_key": key})).status_code == 200
        assert (await web.get("/v1/me")).status_code == 200
        assert (await client.delete(f"/v1/users/{member['id']}")).status_code == 200
        r = await web.get("/v1/me")
        assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH_FAILED"

        other = await make_user(client, name="Kept")
        key2 = await key_for(client, other["id"])
        login = await web2.post("/v1/session", json={"api_key": key2})
        assert login.status_code == 200
        keys = (await client.get(f"/v1/users/{other['id']}/keys")).json()["keys"]
        revoked = await client.delete(f"/v1/users/{other['id']}/keys/{keys[0]['id']}")
        assert revoked.status_code == 200, revoked.text
        assert (await web2.get("/v1/me")).status_code == 401


async def test_session_reads_sse_and_artifact_content(running: Container) -> None:
    async with browser(running) as web:
        await sign_in_by_link(running, web)
        csrf = web.cookies["rf_csrf"]
        r = await web.post(
            "/v1/runs",
            json={"pipeline": {"nodes": [{"id": "a", "model": "fal/flux-dev", "prompt": "fox"}]}},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code in (200, 201, 202), r.text
        run_id = r.json()["id"]
        events = await web.get(f"/v1/runs/{run_id}/events")
        assert events.status_code == 200
        assert events.headers["content-type"].startswith("text/event-stream")
        assert "event: run.succeeded" in events.text
        run = (await web.get(f"/v1/runs/{run_id}")).json()
        content = await web.get(run["outputs"][0]["url"])
        assert content.status_code == 200 and content.headers["content-type"].startswith("image/")


async def test_login_url_command_prints_a_working_link(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from reelforge.cli.main import app

    monkeypatch.setenv("REELFORGE_HOME", str(container.settings.home))
    # In a thread: the command runs its own event loop, as it does in a terminal.
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["login-url", "--port", "8123", "--json"]
    )
    assert result.exit_code == 0, result.output
    url = json.loads(result.output)["url"]
    assert url.startswith("http://127.0.0.1:8123/login?token=")
    token = url.rsplit("=", 1)[1]

    async with browser(container) as web:
        assert (await web.get(f"/login?token={token}")).status_code == 303
