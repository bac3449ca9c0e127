"""Dependencies as ``Annotated`` aliases: the container, a session, the caller."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import Principal
from reelforge.storage.identity import authenticate, hash_key


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


async def get_principal(request: Request, container: ContainerDep) -> Principal:
    key = bearer_key(request)
    digest = hash_key(key)
    now = time.monotonic()
    cached = _key_cache.get(digest)
    if cached is not None and cached[1] > now:
        principal = cached[0]
    else:
        async with container.db.session() as session:
            principal = await authenticate(session, key)
        if len(_key_cache) > 10_000:
            _key_cache.clear()
        _key_cache[digest] = (principal, now + _KEY_TTL_SECONDS)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def require_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.role.is_admin:
        raise ReelForgeError(ErrorCode.FORBIDDEN, "This needs the owner or admin role.")
    return principal


AdminPrincipal = Annotated[Principal, Depends(require_admin)]
