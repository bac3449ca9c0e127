"""Users, roles and agents (owners and admins), and the API keys of the users they manage.

Only the owner makes or changes admins and hands ownership over; a DELETE deactivates
(keys revoked, runs in flight canceled, runs and ledger kept). Keys are shown once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from reelforge.api.deps import AdminPrincipal, ContainerDep, forget_key_cache
from reelforge.api.paging import id_cursor
from reelforge.api.routes.users_schemas import (
    DeletedOut,
    KeyIn,
    KeyList,
    KeyOut,
    NewKeyOut,
    UserIn,
    UserList,
    UserOut,
    UserPatch,
    key_out,
    new_key_out,
    user_out,
)
from reelforge.container import Container
from reelforge.domain.identity import Role, parse_scopes
from reelforge.engine.users import UserAdmin

router = APIRouter(prefix="/v1/users", tags=["users"])

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Makes a plan change safe to retry."),
]


def user_admin(container: Container) -> UserAdmin:
    """The service over this container; steps still finishing after a deactivation's
    cancels go to the runner as a cancel's do."""

    async def enqueue(step_ids: list[str]) -> None:
        await container.runner.enqueue(step_ids, at_provider=True)

    return UserAdmin(container.db, getattr(container, "runs", None), enqueue)


@router.get("", response_model=UserList)
async def list_users(
    principal: AdminPrincipal,
    container: ContainerDep,
    role: Annotated[Role | None, Query(description="Only users with this role.")] = None,
    include_deactivated: Annotated[bool, Query(description="Deleted users too.")] = False,
    after: Annotated[str | None, id_cursor("`next_after` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> UserList:
    """Users oldest first, a page at a time."""
    views = await user_admin(container).list_users(
        principal, role=role, include_deactivated=include_deactivated, after=after, limit=limit
    )
    users = [user_out(v) for v in views]
    return UserList(users=users, next_after=users[-1].id if len(users) == limit else None)


@router.post("", response_model=UserOut, status_code=201)
async def create_user(
    body: UserIn,
    principal: AdminPrincipal,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> UserOut:
    """Create an admin (owner only), member or agent, optionally on a plan."""
    view = await user_admin(container).create(
        principal,
        name=body.name,
        role=body.role,
        email=body.email,
        plan_id=body.plan_id,
        idempotency_key=idempotency_key,
    )
    return user_out(view)


@router.get("/{user_id}", response_model=UserOut)
async def get_user(user_id: str, principal: AdminPrincipal, container: ContainerDep) -> UserOut:
    return user_out(await user_admin(container).get(principal, user_id))


@router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    user_id: str,
    body: UserPatch,
    principal: AdminPrincipal,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> UserOut:
    """Change name, email, role, plan (through the ledger's plan change), or reactivate."""
    fields = body.model_fields_set
    view = await user_admin(container).update(
        principal,
        user_id,
        name=body.name,
        role=body.role,
        plan_id=body.plan_id,
        active=body.active,
        idempotency_key=idempotency_key,
        **({"email": body.email or None} if "email" in fields else {}),
    )
    forget_key_cache()  # a role change counts from the next request on this node
    return user_out(view)


@router.delete("/{user_id}", response_model=DeletedOut)
async def delete_user(
    user_id: str, principal: AdminPrincipal, container: ContainerDep
) -> DeletedOut:
    """Deactivate: revoke every key, cancel runs in flight (what ran is paid, holds are
    released); the user's runs, artifacts and ledger entries are kept."""
    done = await user_admin(container).deactivate(principal, user_id)
    forget_key_cache()
    return DeletedOut(
        **user_out(done.user).model_dump(),
        revoked_keys=done.revoked_keys,
        canceled_runs=done.canceled_runs,
    )


@router.get("/{user_id}/keys", response_model=KeyList)
async def list_keys(user_id: str, principal: AdminPrincipal, container: ContainerDep) -> KeyList:
    rows = await user_admin(container).list_keys(principal, user_id)
    return KeyList(keys=[key_out(r) for r in rows])


@router.post("/{user_id}/keys", response_model=NewKeyOut, status_code=201)
async def create_key(
    user_id: str, body: KeyIn, principal: AdminPrincipal, container: ContainerDep
) -> NewKeyOut:
    """A key for a user you manage (an agent's, a member's). Shown in this answer only."""
    row, plain = await user_admin(container).create_key(
        principal,
        user_id,
        label=body.label,
        scopes=parse_scopes(body.scopes),
        expires_at=body.expires_at,
        expires_in_days=body.expires_in_days,
    )
    return new_key_out(row, plain)


@router.delete("/{user_id}/keys/{key_id}", response_model=KeyOut)
async def revoke_key(
    user_id: str, key_id: str, principal: AdminPrincipal, container: ContainerDep
) -> KeyOut:
    row = await user_admin(container).revoke_key(principal, user_id, key_id)
    forget_key_cache()
    return key_out(row)
