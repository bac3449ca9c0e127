"""The caller and their API keys."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from sqlalchemy import select

from reelforge.api.deps import CurrentPrincipal, SessionDep, forget_key_cache
from reelforge.api.schemas import RequestModel, ResponseModel
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.storage.identity import create_api_key, get_user, revoke_api_key
from reelforge.storage.identity_tables import ApiKeyRow

router = APIRouter(prefix="/v1", tags=["identity"])


class ApiKeyOut(ResponseModel):
    id: str
    label: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


class MeOut(ResponseModel):
    id: str
    name: str
    email: str | None
    role: str
    created_at: datetime
    api_keys: list[ApiKeyOut]


class NewKeyIn(RequestModel):
    label: str = ""


class NewKeyOut(ApiKeyOut):
    key: str


@router.get("/me", response_model=MeOut)
async def me(principal: CurrentPrincipal, session: SessionDep) -> MeOut:
    user = await get_user(session, principal.user_id)
    if user is None:
        raise ReelForgeError(ErrorCode.AUTH_FAILED, "The key's user no longer exists.")
    keys = (
        await session.execute(
            select(ApiKeyRow).where(ApiKeyRow.owner_id == user.id).order_by(ApiKeyRow.created_at)
        )
    ).scalars()
    return MeOut(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,
        created_at=user.created_at,
        api_keys=[ApiKeyOut.model_validate(k) for k in keys],
    )


@router.post("/me/api-keys", response_model=NewKeyOut, status_code=201)
async def new_key(body: NewKeyIn, principal: CurrentPrincipal, session: SessionDep) -> NewKeyOut:
    """Create an API key. The key is in this response only; it is stored hashed."""
    row, plain = await create_api_key(session, principal.user_id, body.label)
    await session.commit()
    return NewKeyOut(
        id=row.id, label=row.label, prefix=row.prefix, created_at=row.created_at, key=plain
    )


@router.delete("/me/api-keys/{key_id}", status_code=204)
async def delete_key(key_id: str, principal: CurrentPrincipal, session: SessionDep) -> None:
    if not await revoke_api_key(session, key_id, principal.user_id):
        raise ReelForgeError(ErrorCode.NOT_FOUND, f"No active API key {key_id!r}.")
    await session.commit()
    forget_key_cache()
