"""Who calls the asset studio and how fast (pipeline step 1: auth + rate limit).

A request with an API key (or the studio's session cookie) is a signed-in user, limited
by the core limiter with the plan's multiplier; a request without one is a guest, limited
per IP address (``assets_guest_per_minute``) and served at standard quality only."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Path, Request, Response

from reelforge.api.deps import ContainerDep, get_principal, rate_limiter
from reelforge.api.ratelimit import RateLimiter
from reelforge.api.schemas import one_of
from reelforge.api.web.cookies import is_secure
from reelforge.apps.assets.caller import Caller, guest_key_of, guest_user
from reelforge.apps.assets.modes.registry import default_modes
from reelforge.apps.assets.pipeline import AssetPipeline
from reelforge.container import Container
from reelforge.domain.identity import Principal, Role

GUEST_COOKIE = "rf_assets_guest"
GUEST_HEADER = "X-Assets-Guest"
GUEST_DAYS = 30


def mode_ids() -> list[str]:
    """The registered asset modes (third-party plugins' included), as the schema says."""
    return default_modes().ids()


# An asset mode in a path, one of the registered ones (the OpenAPI enum).
ModePath = Annotated[str, Path(json_schema_extra=one_of(mode_ids))]


def assets_pipeline(container: Container) -> AssetPipeline:
    pipeline: AssetPipeline | None = container.extras.get("assets_pipeline")
    if pipeline is None:
        pipeline = AssetPipeline(container, default_modes(), container.settings.prompt_engine)
        container.extras["assets_pipeline"] = pipeline
    return pipeline


def guest_limiter(container: Container) -> RateLimiter:
    limiter: RateLimiter | None = container.extras.get("assets_guest_limiter")
    if limiter is None:
        s = container.settings
        limiter = RateLimiter(
            s.rate_limit_url,
            per_user=s.assets_guest_per_minute,
            per_key=0,
            key_prefix=f"{s.rate_limit_prefix}-assets-guest",
        )
        container.extras["assets_guest_limiter"] = limiter
        container._closers.append(limiter.aclose)
    return limiter


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def is_signed_in(request: Request) -> bool:
    return bool(request.headers.get("authorization") or request.cookies.get("rf_session"))


def guest_principal(ip: str) -> Principal:
    return Principal(user_id=f"ip:{ip}", role=Role.MEMBER, api_key_id=f"ip:{ip}")


async def _guest(container: Container) -> str:
    user_id: str | None = container.extras.get("assets_guest_user")
    if user_id is None:  # looked up (or made) once per process
        user_id = await guest_user(container.db)
        container.extras["assets_guest_user"] = user_id
    return user_id


def _guest_key(request: Request, response: Response, container: Container) -> str:
    """This guest's own key: the token of the ``rf_assets_guest`` cookie (or the
    ``X-Assets-Guest`` header, for API clients), minted on first use. All guests' runs
    belong to one core user, so it, not the IP address (shared behind a NAT), is what
    keeps one guest's batches and images from another."""
    token = request.headers.get(GUEST_HEADER) or request.cookies.get(GUEST_COOKIE)
    if not token or not 20 <= len(token) <= 100:
        token = secrets.token_urlsafe(24)
        response.set_cookie(
            GUEST_COOKIE,
            token,
            max_age=GUEST_DAYS * 86400,
            path="/",
            secure=is_secure(request, container),
            httponly=True,
            samesite="lax",
        )
    response.headers[GUEST_HEADER] = token
    return guest_key_of(token)


async def asset_caller(request: Request, response: Response, container: ContainerDep) -> Caller:
    """The caller, without counting a request (reads)."""
    if is_signed_in(request):
        principal = await get_principal(request, container)
        return Caller(principal.user_id)
    return Caller(
        await _guest(container),
        guest_ip=client_ip(request),
        guest_key=_guest_key(request, response, container),
    )


async def limited_caller(request: Request, response: Response, container: ContainerDep) -> Caller:
    """The caller, counted against its rate limit (requests that start generations)."""
    if is_signed_in(request):
        principal = await get_principal(request, container)
        await rate_limiter(container).check(principal)
        return Caller(principal.user_id)
    ip = client_ip(request)
    await guest_limiter(container).check(guest_principal(ip))
    return Caller(
        await _guest(container), guest_ip=ip, guest_key=_guest_key(request, response, container)
    )


async def signed_in_caller(request: Request, container: ContainerDep) -> Caller:
    principal = await get_principal(request, container)
    return Caller(principal.user_id)


AssetCaller = Annotated[Caller, Depends(asset_caller)]
LimitedCaller = Annotated[Caller, Depends(limited_caller)]
SignedInCaller = Annotated[Caller, Depends(signed_in_caller)]
