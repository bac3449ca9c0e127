"""Asset studio sign-in with GitHub and Google (apps/assets/oauth.py): ``start`` sends the
browser to the provider with a state bound to it by a cookie, ``callback`` checks that
state, finishes the PKCE exchange and signs the browser in (the studio's session
cookies), linking the provider's account as the module says."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from reelforge.api.deps import ContainerDep, get_principal
from reelforge.api.routes.assets_deps import (
    client_ip,
    guest_limiter,
    guest_principal,
    is_signed_in,
)
from reelforge.api.web.cookies import is_secure, set_session_cookies
from reelforge.apps.assets.oauth import STATE_MINUTES, OAuthSignIn, configured_providers
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage import identity, web_sessions
from reelforge.storage.tables import utcnow

router = APIRouter(prefix="/v1/assets/oauth", tags=["assets"])

STATE_COOKIE = "rf_assets_oauth"


def oauth_service(container: Container) -> OAuthSignIn:
    service: OAuthSignIn | None = container.extras.get("assets_oauth")
    if service is None:
        service = OAuthSignIn(
            container.db,
            configured_providers(container.settings.assets_oauth),
            transport=container.extras.get("assets_oauth_transport"),
        )
        container.extras["assets_oauth"] = service
    return service


def _callback_url(request: Request, container: Container, provider: str) -> str:
    base = (container.settings.public_base_url or str(request.base_url)).rstrip("/")
    return f"{base}/v1/assets/oauth/{provider}/callback"


@router.get("/providers")
async def providers(container: ContainerDep) -> dict[str, Any]:
    """The sign-in providers configured here (none: email and password only)."""
    found = oauth_service(container).providers.values()
    return {
        "providers": [
            {"name": p.name, "label": p.label, "start": f"/v1/assets/oauth/{p.name}/start"}
            for p in found
        ]
    }


@router.get("/{provider}/start", response_class=RedirectResponse, status_code=302)
async def start(
    provider: str,
    request: Request,
    container: ContainerDep,
    next_path: Annotated[str | None, Query(alias="next", max_length=500)] = None,
    login_hint: Annotated[str | None, Query(max_length=320)] = None,
) -> RedirectResponse:
    """302 to the provider's consent page. Signed in already: the provider's account is
    linked to you when it comes back."""
    if is_signed_in(request):
        link: str | None = (await get_principal(request, container)).user_id
    else:  # each start stores a state row: counted per address like a guest's generation
        link = None
        await guest_limiter(container).check(guest_principal(client_ip(request)))
    url, state = await oauth_service(container).start(
        provider,
        _callback_url(request, container, provider),
        next_path=next_path,
        link_user_id=link,
        login_hint=login_hint,
    )
    response = RedirectResponse(url, status_code=302)
    response.headers["Cache-Control"] = "no-store"
    # The state, bound to this browser: a callback from any other is refused. Lax, so it
    # comes back on the provider's top-level redirect.
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=STATE_MINUTES * 60,
        path="/v1/assets/oauth",
        secure=is_secure(request, container),
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/{provider}/callback", response_class=RedirectResponse, status_code=303)
async def callback(
    provider: str,
    request: Request,
    container: ContainerDep,
    code: Annotated[str, Query(max_length=2000)] = "",
    state: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Where the provider sends the browser back: 303 to the studio, signed in."""
    if error:
        raise ReelForgeError(
            ErrorCode.AUTH_FAILED,
            f"The provider did not sign you in ({error}).",
            remediation=("Try again, or sign in with email and password.",),
            detail={"oauth": True, "provider_error": error},
        )
    done = await oauth_service(container).finish(
        provider, code=code, state=state, bound_state=request.cookies.get(STATE_COOKIE)
    )
    lifetime = timedelta(days=container.settings.session_days)
    async with container.db.transaction() as session:
        principal = await identity.authenticate(session, done.session_token)
        plain = await web_sessions.create_session(session, principal, lifetime=lifetime)
    response = RedirectResponse(done.next_path, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the code stays out of Referer
    response.headers["X-ReelForge-Linked"] = done.linked
    response.delete_cookie(STATE_COOKIE, path="/v1/assets/oauth")
    set_session_cookies(response, request, container, plain, utcnow() + lifetime)
    return response
