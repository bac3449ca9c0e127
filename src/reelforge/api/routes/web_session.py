"""Signing the studio in: ``GET /login?token=`` (the one-time link), and
``/v1/session`` (sign in with an API key, who am I, sign out). WEBCONTRACT.md."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field

from reelforge.api.deps import ContainerDep, CurrentPrincipal, forget_session
from reelforge.api.schemas import RequestModel, ResponseModel
from reelforge.api.web.cookies import (
    SESSION_COOKIE,
    check_csrf,
    clear_session_cookies,
    csrf_for,
    set_session_cookies,
)
from reelforge.api.web.login_limit import login_limiter
from reelforge.container import Container
from reelforge.domain.errors import ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.storage import identity, web_sessions
from reelforge.storage.tables import utcnow

router = APIRouter(tags=["session"])


class SessionIn(RequestModel):
    api_key: str = Field(min_length=1, max_length=200, description="A ReelForge API key.")


class SessionUser(ResponseModel):
    id: str
    name: str
    role: str
    scopes: list[str] | None = Field(
        description="The scopes of the key the session is bound to (null: all the role allows)."
    )


class SessionOut(ResponseModel):
    user: SessionUser
    csrf_token: str | None = Field(
        description="Send as X-CSRF-Token on writes; null when signed in with a bearer key."
    )


def _user(principal: Principal) -> SessionUser:
    scopes = None if principal.scopes is None else sorted(s.value for s in principal.scopes)
    return SessionUser(
        id=principal.user_id, name=principal.name, role=principal.role.value, scopes=scopes
    )


def _lifetime(container: Container) -> timedelta:
    return timedelta(days=container.settings.session_days)


def _safe_next(target: str | None) -> str:
    """Only a path on this server (never ``//evil.example`` or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


_REFUSED_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>ReelForge: sign-in link refused</title></head><body style="font-family:sans-serif">
<h1>Sign-in link refused</h1><p>{message}</p>
<p>Sign-in links work once, for 15 minutes. For a new one run
<code>reelforge login-url</code> on the machine that runs ReelForge.</p></body></html>"""


@router.get(
    "/login",
    response_class=RedirectResponse,
    status_code=303,
    include_in_schema=True,
    responses={401: {"description": "The link was refused.", "content": {"text/html": {}}}},
)
async def login(
    request: Request,
    container: ContainerDep,
    token: Annotated[str, Query(max_length=200, description="The one-time login token.")] = "",
    next_path: Annotated[
        str | None, Query(alias="next", max_length=2000, description="Path to go to.")
    ] = None,
) -> Response:
    """Open the one-time sign-in link: 303 to ``/`` (or ``next``) with the session cookies."""
    try:
        async with container.db.transaction() as session:
            key_id = await web_sessions.redeem_login_token(session, token)
            principal = await identity.resolve_key_id(session, key_id)
            plain = await web_sessions.create_session(
                session, principal, lifetime=_lifetime(container)
            )
    except ReelForgeError as exc:
        page = _REFUSED_PAGE.format(message=html.escape(exc.message))
        return HTMLResponse(page, status_code=401, headers={"Cache-Control": "no-store"})
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays out of Referer
    set_session_cookies(response, request, container, plain, utcnow() + _lifetime(container))
    return response


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/v1/session", response_model=SessionOut)
async def sign_in(
    body: SessionIn, request: Request, response: Response, container: ContainerDep
) -> SessionOut:
    """Exchange an API key for a browser session (the key itself never reaches the page's
    scripts: it is not stored in the browser). Failed tries are rate limited per address."""
    limiter = login_limiter(container)
    address = _client_address(request)
    await limiter.check(address)
    try:
        async with container.db.transaction() as session:
            principal, _last_used = await identity.resolve_key(session, body.api_key.strip())
            plain = await web_sessions.create_session(
                session, principal, lifetime=_lifetime(container)
            )
    except ReelForgeError:
        await limiter.failed(address)
        raise
    csrf = set_session_cookies(response, request, container, plain, utcnow() + _lifetime(container))
    response.headers["Cache-Control"] = "no-store"
    return SessionOut(user=_user(principal), csrf_token=csrf)


@router.get("/v1/session", response_model=SessionOut)
async def current_session(
    principal: CurrentPrincipal, request: Request, response: Response, container: ContainerDep
) -> SessionOut:
    """Who is signed in (401 when nobody), and the CSRF token for writes."""
    token: str | None = getattr(request.state, "session_token", None)
    csrf = csrf_for(container.extras["secret"], token) if token else None
    response.headers["Cache-Control"] = "no-store"
    return SessionOut(user=_user(principal), csrf_token=csrf)


@router.delete("/v1/session", status_code=204, response_class=Response)
async def sign_out(request: Request, container: ContainerDep) -> Response:
    """Sign out: the session ends on the server and its cookies are cleared."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        check_csrf(request, container.extras["secret"], token)
        async with container.db.transaction() as session:
            await web_sessions.end_session(session, token)
        forget_session(token)
    response = Response(status_code=204)
    clear_session_cookies(response, request, container)
    return response
