"""The caller and their own API keys (every role: members and agents manage their own)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from reelforge.api.deps import ContainerDep, CurrentPrincipal, forget_key_cache
from reelforge.api.routes.users import user_admin
from reelforge.api.routes.users_schemas import (
    KeyIn,
    KeyList,
    KeyOut,
    NewKeyOut,
    key_out,
    new_key_out,
)
from reelforge.api.schemas import RequestModel, ResponseModel
from reelforge.domain.identity import parse_scopes

router = APIRouter(prefix="/v1", tags=["identity"])


class MeOut(ResponseModel):
    id: str
    name: str
    email: str | None
    role: str
    plan_id: str
    created_at: datetime
    # The scopes of the key this request used.
    key_scopes: list[str]
    api_keys: list[KeyOut]


class NewKeyIn(RequestModel):
    label: str = ""


@router.get("/me", response_model=MeOut)
async def me(principal: CurrentPrincipal, container: ContainerDep) -> MeOut:
    admin = user_admin(container)
    view = await admin.get(principal, principal.user_id)
    keys = await admin.list_keys(principal, principal.user_id)
    current = next(key_out(k) for k in keys if k.id == principal.api_key_id)
    return MeOut(
        id=view.user.id,
        name=view.user.name,
        email=view.user.email,
        role=view.user.role,
        plan_id=view.plan_id,
        created_at=view.user.created_at,
        key_scopes=current.scopes,
        api_keys=[key_out(k) for k in keys],
    )


@router.get("/me/keys", response_model=KeyList)
async def my_keys(principal: CurrentPrincipal, container: ContainerDep) -> KeyList:
    """Your keys: prefix, label, scopes, created, last used, expiry, revoked."""
    rows = await user_admin(container).list_keys(principal, principal.user_id)
    return KeyList(keys=[key_out(r) for r in rows])


@router.post("/me/keys", response_model=NewKeyOut, status_code=201)
async def new_my_key(
    body: KeyIn, principal: CurrentPrincipal, container: ContainerDep
) -> NewKeyOut:
    """Create a key. The key is in this response only; it is stored hashed. A key cannot
    create a key with more scopes than it has."""
    row, plain = await user_admin(container).create_key(
        principal,
        principal.user_id,
        label=body.label,
        scopes=parse_scopes(body.scopes),
        expires_at=body.expires_at,
        expires_in_days=body.expires_in_days,
    )
    return new_key_out(row, plain)


@router.delete("/me/keys/{key_id}", response_model=KeyOut)
async def revoke_my_key(
    key_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> KeyOut:
    row = await user_admin(container).revoke_key(principal, principal.user_id, key_id)
    forget_key_cache()
    return key_out(row)


@router.post("/me/api-keys", response_model=NewKeyOut, status_code=201, deprecated=True)
async def new_key(
    body: NewKeyIn, principal: CurrentPrincipal, container: ContainerDep
) -> NewKeyOut:
    """Older path of POST /v1/me/keys (a label only)."""
    row, plain = await user_admin(container).create_key(
        principal, principal.user_id, label=body.label
    )
    return new_key_out(row, plain)


@router.delete("/me/api-keys/{key_id}", status_code=204, deprecated=True)
async def delete_key(key_id: str, principal: CurrentPrincipal, container: ContainerDep) -> None:
    """Older path of DELETE /v1/me/keys/{id}."""
    await user_admin(container).revoke_key(principal, principal.user_id, key_id)
    forget_key_cache()
