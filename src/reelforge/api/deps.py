"""Dependencies as ``Annotated`` aliases: the container, a session, the caller."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.api.ratelimit import RateLimiter
from reelforge.api.web.cookies import SESSION_COOKIE, check_csrf
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal, Role, Scope
from reelforge.storage.identity import TOUCH_EVERY, hash_key, resolve_key, touch_key
from reelforge.storage.tables import utcnow
from reelforge.storage.web_sessions import resolve_session


async def get_container(request: Request) -> Container:
    # async: FastAPI runs plain-def dependencies in a thread pool (a thread hop per request)
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_session(container: ContainerDep) -> AsyncIterator[AsyncSession]:
    async with container.db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def bearer_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ReelForgeError(
            ErrorCode.AUTH_FAILED,
            "Missing API key: send `Authorization: Bearer <key>`.",
        )
    return key.strip()


# Keys resolved in the last few seconds, by hash: saves a database read per request. A
# revoked key stops working here at once and on other API nodes within the TTL.
_KEY_TTL_SECONDS = 10.0
_key_cache: dict[str, tuple[Principal, float]] = {}


def forget_key_cache() -> None:
    _key_cache.clear()
    _session_cache.clear()


# A route may name the scope it needs (``openapi_extra={SCOPE_KEY: "read"}``, e.g. a POST
# that only computes); otherwise reads need ``read`` and everything else ``generate``.
SCOPE_KEY = "x-reelforge-scope"
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def required_scope(request: Request) -> Scope:
    route = request.scope.get("route")
    named = (getattr(route, "openapi_extra", None) or {}).get(SCOPE_KEY)
    if named:
        return Scope(named)
    return Scope.READ if request.method in _READ_METHODS else Scope.GENERATE


def check_scope(principal: Principal, needed: Scope) -> None:
    if not principal.allows(needed):
        have = sorted(s.value for s in principal.scopes or ())
        raise ReelForgeError(
            ErrorCode.FORBIDDEN,
            f"This API key lacks the {needed.value!r} scope (it has: {', '.join(have)}).",
            remediation=(f"Use a key with the {needed.value!r} scope (`reelforge keys create`).",),
            detail={"needed_scope": needed.value, "key_scopes": have},
        )


async def get_principal(request: Request, container: ContainerDep) -> Principal:
    """The caller: an ``Authorization: Bearer`` API key, else the studio's session cookie
    (whose writes must carry the CSRF token)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and "authorization" not in request.headers:
        principal = await _session_principal(container, cookie)
        check_csrf(request, container.extras["secret"], cookie)
        check_scope(principal, required_scope(request))
        request.state.principal = principal
        request.state.session_token = cookie
        return principal
    key = bearer_key(request)
    digest = hash_key(key)
    now = time.monotonic()
    cached = _key_cache.get(digest)
    if cached is not None and cached[1] > now:
        principal = cached[0]
        if principal.expires_at is not None and principal.expires_at <= utcnow():
            _key_cache.pop(digest, None)
            principal = await _resolve(container, key, digest, now)
    else:
        principal = await _resolve(container, key, digest, now)
    check_scope(principal, required_scope(request))
    request.state.principal = principal
    return principal


async def _resolve(container: Container, key: str, digest: str, now: float) -> Principal:
    async with container.db.session() as session:
        principal, last_used = await resolve_key(session, key)
    if last_used is None or last_used < utcnow() - TOUCH_EVERY:
        async with container.db.transaction() as session:
            await touch_key(session, principal.api_key_id)
    if len(_key_cache) > 10_000:
        _key_cache.clear()
    _key_cache[digest] = (principal, now + _KEY_TTL_SECONDS)
    return principal


# Sessions resolved lately, by token hash, as keys are above (and forgotten with them).
_session_cache: dict[str, tuple[Principal, float]] = {}


async def _session_principal(container: Container, token: str) -> Principal:
    digest = hash_key(token)
    now = time.monotonic()
    cached = _session_cache.get(digest)
    if cached is not None and cached[1] > now:
        return cached[0]
    async with container.db.session() as session:
        principal, ends = await resolve_session(session, token)
    left = (ends - utcnow()).total_seconds()
    if len(_session_cache) > 10_000:
        _session_cache.clear()
    _session_cache[digest] = (principal, now + min(_KEY_TTL_SECONDS, max(left, 0.0)))
    return principal


def forget_session(token: str) -> None:
    _session_cache.pop(hash_key(token), None)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def require_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.role.is_admin:
        raise ReelForgeError(ErrorCode.FORBIDDEN, "This needs the owner or admin role.")
    check_scope(principal, Scope.ADMIN)
    return principal


AdminPrincipal = Annotated[Principal, Depends(require_admin)]


def rate_limiter(container: Container) -> RateLimiter:
    """The container's limiter, made on first use (its storage is opened lazily)."""
    limiter: RateLimiter | None = container.extras.get("rate_limiter")
    if limiter is None:
        s = container.settings
        limiter = RateLimiter(
            s.rate_limit_url,
            per_user=s.rate_limit_user_per_minute,
            per_key=s.rate_limit_key_per_minute,
            exempt=frozenset(Role(r) for r in s.rate_limit_exempt_roles),
            key_prefix=s.rate_limit_prefix,
        )
        container.extras["rate_limiter"] = limiter
        container._closers.append(limiter.aclose)
    return limiter


async def limit_generations(principal: CurrentPrincipal, container: ContainerDep) -> None:
    """Per-user and per-key limits on the endpoints that start work (429 RATE_LIMITED)."""
    await rate_limiter(container).check(principal)


# ``dependencies=[GENERATION_LIMIT]`` on a route that starts paid work.
GENERATION_LIMIT = Depends(limit_generations)
