"""Sign-in with GitHub and Google end to end: the OAuth emulator serves on 127.0.0.1, the
browser's part (following the redirects) is an httpx client; state and PKCE are checked
at both ends, a forged, foreign or replayed state is refused, and accounts are linked."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn

from reelforge.emulators.oauth import create_app
from tests.integration.assets_world import AssetsWorld, open_assets_world

OAUTH = "/v1/assets/oauth"


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[str, Any]]:
    app = create_app()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", app.state.emulator
    server.should_exit = True
    await task


@pytest.fixture
async def aw(tmp_path: Path, emulator: tuple[str, Any]) -> AsyncIterator[AssetsWorld]:
    base, _state = emulator
    urls = {
        "authorize_url": f"{base}/authorize",
        "token_url": f"{base}/token",
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
    }
    config = {
        "github": {**urls, "userinfo_url": f"{base}/user", "emails_url": f"{base}/user/emails"},
        "google": {**urls, "userinfo_url": f"{base}/userinfo"},
    }
    async for w in open_assets_world(tmp_path, assets_oauth=config):
        yield w


def _cookie(r: httpx.Response, name: str) -> str:
    for header in r.headers.get_list("set-cookie"):
        key, _, rest = header.partition("=")
        if key == name:
            return rest.split(";", 1)[0]
    raise AssertionError(f"no {name} cookie in {r.headers.get_list('set-cookie')}")


async def _to_provider(
    aw: AssetsWorld, provider: str, email: str, headers: dict[str, str] | None = None
) -> tuple[str, str]:
    """Start a sign-in and let the emulator consent: (callback path+query, the state cookie)."""
    r = await aw.guest.get(
        f"{OAUTH}/{provider}/start",
        params={"next": "/pixel/studio", "login_hint": email},
        headers=headers or {},
    )
    assert r.status_code == 302, r.text
    bound = _cookie(r, "rf_assets_oauth")
    authorize = r.headers["location"]
    q = parse_qs(urlsplit(authorize).query)
    assert q["code_challenge_method"] == ["S256"] and q["state"] == [bound]
    assert q["redirect_uri"] == [f"http://testserver{OAUTH}/{provider}/callback"]
    async with httpx.AsyncClient() as browser:  # the real emulator on 127.0.0.1
        back = await browser.get(authorize)
    assert back.status_code == 302, back.text
    url = urlsplit(back.headers["location"])
    assert url.path == f"{OAUTH}/{provider}/callback"
    return f"{url.path}?{url.query}", bound


async def test_github_sign_in_with_pkce_and_state(
    aw: AssetsWorld, emulator: tuple[str, Any]
) -> None:
    _base, seen = emulator
    listed = (await aw.guest.get(f"{OAUTH}/providers")).json()["providers"]
    assert {p["name"] for p in listed} == {"github", "google"}
    callback, bound = await _to_provider(aw, "github", "ada@example.com")
    r = await aw.guest.get(callback, headers={"Cookie": f"rf_assets_oauth={bound}"})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/pixel/studio"
    assert r.headers["x-reelforge-linked"] == "new"
    session = _cookie(r, "rf_session")
    me = await aw.guest.get("/v1/session", headers={"Cookie": f"rf_session={session}"})
    assert me.status_code == 200 and me.json()["user"]["name"] == "Ada", me.text
    # PKCE at the emulator: the verifier we sent hashes to the challenge it was shown.
    challenge = seen.authorize_requests[-1]["code_challenge"]
    verifier = seen.token_requests[-1]["code_verifier"]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge
    # Signed in, the studio's HD and workspaces are open to the new account.
    cookie = {"Cookie": f"rf_session={session}", "X-CSRF-Token": _cookie(r, "rf_csrf")}
    r = await aw.guest.post(
        "/v1/assets/workspaces", json={"mode": "pixel", "name": "p"}, headers=cookie
    )
    assert r.status_code == 201, r.text
    # The same GitHub account again: the same user, found by its linked identity.
    callback, bound = await _to_provider(aw, "github", "ada@example.com")
    again = await aw.guest.get(callback, headers={"Cookie": f"rf_assets_oauth={bound}"})
    assert again.status_code == 303 and again.headers["x-reelforge-linked"] == "identity"
    # Replayed: the state is single use (and the code was spent at the emulator).
    replay = await aw.guest.get(callback, headers={"Cookie": f"rf_assets_oauth={bound}"})
    assert replay.status_code == 401, replay.text


async def test_forged_or_foreign_state_is_refused(
    aw: AssetsWorld, emulator: tuple[str, Any]
) -> None:
    _base, seen = emulator
    callback, _bound = await _to_provider(aw, "google", "eve@example.com")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    path = f"{OAUTH}/google/callback"
    forged = "f" * 43
    r = await aw.guest.get(
        path,
        params={"code": code, "state": forged},
        headers={"Cookie": f"rf_assets_oauth={forged}"},
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH_FAILED"
    # The real state, from a browser that did not start the sign-in (no cookie, or another's).
    aw.guest.cookies.clear()
    assert (await aw.guest.get(callback)).status_code == 401
    r = await aw.guest.get(callback, headers={"Cookie": f"rf_assets_oauth={forged}"})
    assert r.status_code == 401
    assert len(seen.token_requests) == 0  # nothing reached the provider's token endpoint
    assert not seen.token_requests  # nothing reached the provider's token endpoint
    # A wrong verifier is refused by the provider (the emulator checks S256).
    async with httpx.AsyncClient() as c:
        bad = await c.post(
            f"{_base}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": f"http://testserver{path}",
                "code_verifier": "x" * 50,
            },
            auth=("sandbox-client", "sandbox-secret"),
        )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


async def test_linking_by_email_and_to_the_signed_in_user(aw: AssetsWorld) -> None:
    acc = "/v1/assets/accounts"
    # Someone registered ada's address with a password but never verified it.
    r = await aw.guest.post(
        f"{acc}/signup", json={"email": "ada@example.com", "password": "set by someone else"}
    )
    assert r.status_code == 201
    pre_user = r.json()["user_id"]
    callback, bound = await _to_provider(aw, "google", "ada@example.com")
    r = await aw.guest.get(callback, headers={"Cookie": f"rf_assets_oauth={bound}"})
    assert r.status_code == 303 and r.headers["x-reelforge-linked"] == "email"
    me = await aw.guest.get(
        "/v1/session", headers={"Cookie": f"rf_session={_cookie(r, 'rf_session')}"}
    )
    assert me.json()["user"]["id"] == pre_user
    # The password nobody proved is gone.
    r = await aw.guest.post(
        f"{acc}/signin", json={"email": "ada@example.com", "password": "set by someone else"}
    )
    assert r.status_code == 401
    # A signed-in member starting a sign-in links the provider's account to themselves.
    headers = {"Authorization": aw.member.headers["Authorization"]}
    callback, bound = await _to_provider(aw, "github", "member@example.com", headers)
    r = await aw.guest.get(callback, headers={"Cookie": f"rf_assets_oauth={bound}"})
    assert r.status_code == 303 and r.headers["x-reelforge-linked"] == "current_user"
    me = await aw.guest.get(
        "/v1/session", headers={"Cookie": f"rf_session={_cookie(r, 'rf_session')}"}
    )
    assert me.json()["user"]["id"] == aw.member_id
    # An unconfigured provider is not offered.
    r = await aw.guest.get(f"{OAUTH}/gitlab/start")
    assert r.status_code == 404
