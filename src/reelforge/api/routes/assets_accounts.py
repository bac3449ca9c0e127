"""Asset studio accounts: sign up, verify the email, sign in (a session key), reset the
password. No mailer is wired yet: in sandbox mode the tokens come back in the answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field, JsonValue

from reelforge.api.deps import ContainerDep
from reelforge.api.schemas import EMAIL_PATTERN, RequestModel
from reelforge.api.web.cookies import set_session_cookies
from reelforge.apps.assets import accounts
from reelforge.storage import identity, web_sessions
from reelforge.storage.tables import utcnow

router = APIRouter(prefix="/v1/assets/accounts", tags=["assets"])


# What storage.identity.normalize_email accepts (an account needs one: not empty).
EMAIL: dict[str, JsonValue] = {"pattern": EMAIL_PATTERN}
# apps.assets.accounts: a new password has MIN_PASSWORD to 1024 characters.
NEW_PASSWORD: dict[str, JsonValue] = {"minLength": accounts.MIN_PASSWORD}


class SignInIn(RequestModel):
    email: str = Field(max_length=320, json_schema_extra=EMAIL)
    password: str = Field(max_length=1024)


class SignUpIn(SignInIn):
    password: str = Field(max_length=1024, json_schema_extra=NEW_PASSWORD)


class TokenIn(RequestModel):
    token: str = Field(min_length=10, max_length=200)


class ResetRequestIn(RequestModel):
    email: str = Field(max_length=320, json_schema_extra=EMAIL)


class ResetIn(RequestModel):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(max_length=1024, json_schema_extra=NEW_PASSWORD)


def _sandbox_token(container: ContainerDep, name: str, token: str | None) -> dict[str, Any]:
    return {name: token} if container.settings.sandbox and token else {}


@router.post("/signup", status_code=201)
async def sign_up(body: SignUpIn, container: ContainerDep) -> dict[str, Any]:
    """Create an account; a verification link goes to the email (sandbox: the token)."""
    user_id, token = await accounts.sign_up(container.db, body.email, body.password)
    return {
        "user_id": user_id,
        "verified": False,
        **_sandbox_token(container, "verification_token", token),
    }


@router.post("/verify")
async def verify(body: TokenIn, container: ContainerDep) -> dict[str, Any]:
    return {"user_id": await accounts.verify_email(container.db, body.token), "verified": True}


@router.post("/signin")
async def sign_in(
    body: SignInIn, request: Request, response: Response, container: ContainerDep
) -> dict[str, Any]:
    """A session token (send it as `Authorization: Bearer`), valid 30 days; a browser also
    gets the studio's session cookies (a server-side session, as the login link's)."""
    user_id, token = await accounts.sign_in(container.db, body.email, body.password)
    lifetime = timedelta(days=container.settings.session_days)
    async with container.db.transaction() as session:
        principal = await identity.authenticate(session, token)
        plain = await web_sessions.create_session(session, principal, lifetime=lifetime)
    csrf = set_session_cookies(response, request, container, plain, utcnow() + lifetime)
    response.headers["Cache-Control"] = "no-store"
    return {
        "user_id": user_id,
        "session_token": token,
        "expires_in_days": accounts.SESSION_DAYS,
        "csrf_token": csrf,
    }


@router.post("/reset-request", status_code=202)
async def reset_request(body: ResetRequestIn, container: ContainerDep) -> dict[str, Any]:
    """Always 202, whether or not the email has an account (nothing to enumerate)."""
    token = await accounts.request_reset(container.db, body.email)
    return {"accepted": True, **_sandbox_token(container, "reset_token", token)}


@router.post("/reset")
async def reset(body: ResetIn, container: ContainerDep) -> dict[str, Any]:
    return {"user_id": await accounts.reset_password(container.db, body.token, body.password)}
