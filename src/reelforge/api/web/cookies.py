"""Browser sessions on the wire: the ``rf_session`` and ``rf_csrf`` cookies, and CSRF.

The session cookie is HttpOnly (scripts never see it) and SameSite=Lax (sent when a link
is followed, so a login link works, but not on cross-site POSTs). The CSRF token is an
HMAC of the session token under the server secret, so nothing more is stored: the page
reads it from the ``rf_csrf`` cookie (or GET /v1/session) and echoes it in
``X-CSRF-Token`` on every write, which another site cannot do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from fastapi import Request, Response

from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError

SESSION_COOKIE = "rf_session"
CSRF_COOKIE = "rf_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_for(secret: str, session_token: str) -> str:
    mac = hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def check_csrf(request: Request, secret: str, session_token: str) -> None:
    """A cookie-authenticated write must echo the session's CSRF token (403 CSRF_FAILED)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, csrf_for(secret, session_token)):
        raise ReelForgeError(
            ErrorCode.CSRF_FAILED,
            "This write was signed in by cookie but came without a valid X-CSRF-Token header.",
            detail={"header": "X-CSRF-Token"},
        )


def is_secure(request: Request, container: Container) -> bool:
    """Cookies get ``Secure`` when the studio is reached over https (directly, through a
    proxy uvicorn trusts, or as the public base URL says)."""
    public = container.settings.public_base_url or ""
    return request.url.scheme == "https" or public.lower().startswith("https://")


def set_session_cookies(
    response: Response,
    request: Request,
    container: Container,
    session_token: str,
    expires_at: datetime,
) -> str:
    """Set both cookies on a response; returns the CSRF token."""
    secure = is_secure(request, container)
    csrf = csrf_for(container.extras["secret"], session_token)
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        expires=expires_at,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        expires=expires_at,
        path="/",
        secure=secure,
        httponly=False,
        samesite="strict",
    )
    return csrf


def clear_session_cookies(response: Response, request: Request, container: Container) -> None:
    secure = is_secure(request, container)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, httponly=False, samesite="strict")
