"""The authorization-code flow with PKCE as GitHub and Google run it: ``GET /authorize``
(consent is automatic: the user is ``login_hint`` or the default one) redirects back with
``code`` and the caller's ``state``; ``POST /token`` checks the client secret, the
redirect URI and the PKCE verifier (S256) and answers an access token once per code;
``GET /user`` and ``/user/emails`` (GitHub's shapes) and ``GET /userinfo`` (OIDC's)
describe the user (``login_hint`` is the email; a stable subject is derived from it).
``app.state.emulator`` records the authorize and token requests for tests."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENTS = {"sandbox-client": "sandbox-secret"}
DEFAULT_USER = {"sub": "1001", "email": "octo@example.com", "name": "Octo Cat"}


@dataclass
class OAuthState:
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)


def _s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def _error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status)


def create_app() -> Starlette:
    state = OAuthState()

    async def authorize(request: Request) -> Response:
        q = dict(request.query_params)
        state.authorize_requests.append(q)
        if q.get("client_id") not in CLIENTS or not q.get("redirect_uri"):
            return _error("invalid_client", "Unknown client_id or no redirect_uri.")
        if q.get("response_type") != "code":
            return _error("unsupported_response_type", "Only response_type=code.")
        if not q.get("code_challenge") or q.get("code_challenge_method") != "S256":
            return _error("invalid_request", "PKCE with S256 is required.")
        email = q.get("login_hint") or DEFAULT_USER["email"]
        user = {
            "sub": hashlib.sha256(email.encode()).hexdigest()[:12],
            "email": email,
            "name": email.split("@")[0].title(),
        }
        code = secrets.token_urlsafe(16)
        state.codes[code] = {
            "client_id": q["client_id"],
            "redirect_uri": q["redirect_uri"],
            "challenge": q["code_challenge"],
            "user": user,
        }
        back = {"code": code, **({"state": q["state"]} if "state" in q else {})}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode(back)}", 302)

    async def token(request: Request) -> Response:
        form = dict(await request.form())
        state.token_requests.append({k: str(v) for k, v in form.items()})
        client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        if CLIENTS.get(client_id) != secret:
            return _error("invalid_client", "Client authentication failed.", 401)
        grant = state.codes.pop(str(form.get("code", "")), None)  # a code works once
        if grant is None or form.get("grant_type") != "authorization_code":
            return _error("invalid_grant", "The code is unknown, used or expired.")
        if grant["client_id"] != client_id or grant["redirect_uri"] != form.get("redirect_uri"):
            return _error("invalid_grant", "The redirect_uri does not match.")
        if _s256(str(form.get("code_verifier", ""))) != grant["challenge"]:
            return _error("invalid_grant", "PKCE verification failed.")
        access = secrets.token_urlsafe(24)
        state.tokens[access] = grant["user"]
        return JSONResponse(
            {"access_token": access, "token_type": "bearer", "scope": "openid email"}
        )

    def _user(request: Request) -> dict[str, Any] | None:
        auth = request.headers.get("authorization", "")
        return state.tokens.get(auth[7:]) if auth.lower().startswith("bearer ") else None

    async def github_user(request: Request) -> Response:
        user = _user(request)
        if user is None:
            return JSONResponse({"message": "Bad credentials"}, 401)
        return JSONResponse(
            {
                "id": int(user["sub"], 16) % 10**9,
                "login": user["name"].lower(),
                "email": user["email"],
                "name": user["name"],
            }
        )

    async def github_emails(request: Request) -> Response:
        user = _user(request)
        if user is None:
            return JSONResponse({"message": "Bad credentials"}, 401)
        return JSONResponse([{"email": user["email"], "primary": True, "verified": True}])

    async def userinfo(request: Request) -> Response:
        user = _user(request)
        if user is None:
            return _error("invalid_token", "The access token is not valid.", 401)
        return JSONResponse({**user, "email_verified": True})

    app = Starlette(
        routes=[
            Route("/authorize", authorize),
            Route("/token", token, methods=["POST"]),
            Route("/user", github_user),
            Route("/user/emails", github_emails),
            Route("/userinfo", userinfo),
        ]
    )
    app.state.emulator = state
    return app
