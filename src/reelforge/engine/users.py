"""Managing users, agents and their API keys: the one service the API, the CLI (through
the API) and products (market and series agents) call.

Rules (``domain.identity``): owners manage everyone, admins manage members and agents;
there is exactly one owner (handing ownership over makes the old owner an admin); a
deleted user is deactivated: their keys are revoked, their runs in flight are canceled
(what already ran is paid, every hold released) and their runs, artifacts and ledger
entries are kept. A plan change goes through the ledger's plan-change path.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge import billing
from reelforge.billing.plans import BUILTIN_DEFAULT_PLAN
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import (
    Principal,
    Role,
    Scope,
    check_grantable,
    check_manage,
)
from reelforge.engine.service import RunService
from reelforge.engine.states import RunStatus
from reelforge.logs import get_logger
from reelforge.storage import identity
from reelforge.storage.db import Database
from reelforge.storage.identity_tables import ApiKeyRow, UserRow
from reelforge.storage.ledger_tables import PlanRow, WalletRow
from reelforge.storage.run_tables import RunRow
from reelforge.storage.tables import utcnow

log = get_logger("reelforge.users")

Enqueue = Callable[[list[str]], Awaitable[None]]
_UNFINISHED = [s.value for s in RunStatus if not s.terminal]


@dataclass(frozen=True, slots=True)
class UserView:
    user: UserRow
    plan_id: str


@dataclass(frozen=True, slots=True)
class Deactivated:
    user: UserView
    revoked_keys: int
    canceled_runs: list[str] = field(default_factory=list)


_UNSET: object = object()


class UserAdmin:
    """``runs`` and ``enqueue`` (the runner's, for steps still finishing after a cancel)
    are needed only to deactivate users with runs in flight."""

    def __init__(
        self, db: Database, runs: RunService | None = None, enqueue: Enqueue | None = None
    ) -> None:
        self.db = db
        self.runs = runs
        self.enqueue = enqueue

    async def _actor(self, session: AsyncSession, actor: Principal) -> Role:
        """The actor's role as stored now (a cached principal may be seconds old)."""
        row = await identity.get_user(session, actor.user_id)
        if row is None or row.deactivated_at is not None:
            raise ReelForgeError(ErrorCode.AUTH_FAILED, "The caller's user is deactivated.")
        return Role(row.role)

    async def _managed(
        self,
        session: AsyncSession,
        actor: Principal,
        user_id: str,
        new_role: Role | None = None,
        *,
        privileged: bool = False,
    ) -> tuple[Role, UserRow]:
        """The target, if the actor may manage it. A user manages their own name, email
        and keys; their role, plan and activation are for those who manage them."""
        role = await self._actor(session, actor)
        target = await identity.require_user(session, user_id)
        if target.id != actor.user_id or new_role is not None or privileged:
            check_manage(role, Role(target.role), new_role)
        return role, target

    # -- users ---------------------------------------------------------------------------

    async def list_users(
        self,
        actor: Principal,
        *,
        role: Role | None = None,
        include_deactivated: bool = False,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[UserView]:
        async with self.db.session() as session:
            check_manage(await self._actor(session, actor), Role.MEMBER)
            rows = await identity.list_users(
                session,
                role=role,
                include_deactivated=include_deactivated,
                after=after,
                limit=limit,
            )
            return await _views(session, rows)

    async def get(self, actor: Principal, user_id: str) -> UserView:
        async with self.db.session() as session:
            if user_id != actor.user_id:
                check_manage(await self._actor(session, actor), Role.MEMBER)
            row = await identity.require_user(session, user_id)
            return (await _views(session, [row]))[0]

    async def create(
        self,
        actor: Principal,
        *,
        name: str,
        role: Role = Role.MEMBER,
        email: str | None = None,
        plan_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> UserView:
        """Create a member, agent or admin (with a plan). There is only ever one owner."""
        if role is Role.OWNER:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "A new user cannot be the owner: there is exactly one.",
                remediation=("Create an admin, or hand ownership over with PATCH role=owner.",),
                detail={"invalid_fields": [{"field": "role", "problem": "owner"}]},
            )
        async with self.db.transaction() as session:
            check_manage(await self._actor(session, actor), Role.MEMBER, role)
            user = await identity.create_user(session, _name(name), role, email)
            if plan_id is not None:
                await _set_plan(session, user.id, plan_id, actor.user_id, idempotency_key)
            return (await _views(session, [user]))[0]

    async def update(
        self,
        actor: Principal,
        user_id: str,
        *,
        name: str | None = None,
        email: str | object | None = _UNSET,
        role: Role | None = None,
        plan_id: str | None = None,
        active: bool | None = None,
        idempotency_key: str | None = None,
    ) -> UserView:
        """Change what is given. ``role=owner`` hands ownership over (owner only): the
        old owner becomes an admin in the same transaction."""
        if active is False:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                "Deactivate a user with DELETE /v1/users/{id}.",
                detail={"invalid_fields": [{"field": "active", "problem": "use DELETE"}]},
            )
        async with self.db.transaction() as session:
            current = await identity.require_user(session, user_id)
            new_role = role if role is not None and role.value != current.role else None
            privileged = new_role is not None or plan_id is not None or active is not None
            actor_role, target = await self._managed(
                session, actor, user_id, new_role, privileged=privileged
            )
            if target.deactivated_at is not None and not active:
                raise ReelForgeError(
                    ErrorCode.CONFLICT,
                    f"User {user_id} is deactivated.",
                    remediation=("Reactivate it first (PATCH with active: true).",),
                    detail={"user_id": user_id, "deactivated": True},
                )
            now = utcnow()
            if active and target.deactivated_at is not None:
                target.deactivated_at = None  # keys stay revoked: make new ones
            if name is not None:
                target.name = _name(name)
            if email is not _UNSET:
                value = identity.normalize_email(email if isinstance(email, str) else None)
                await identity.check_email_free(session, value, except_user=target.id)
                target.email = value
            if new_role is not None:
                await _change_role(session, actor, actor_role, target, new_role)
            target.updated_at = now
            await session.flush()
            if plan_id is not None:
                await _set_plan(session, target.id, plan_id, actor.user_id, idempotency_key)
            return (await _views(session, [await identity.require_user(session, user_id)]))[0]

    async def deactivate(self, actor: Principal, user_id: str) -> Deactivated:
        """Revoke the user's keys and stop their runs in flight; keep everything else."""
        async with self.db.transaction() as session:
            _role, target = await self._managed(session, actor, user_id, privileged=True)
            if Role(target.role) is Role.OWNER:
                raise ReelForgeError(
                    ErrorCode.CONFLICT,
                    "The owner cannot be deactivated: there must always be one.",
                    remediation=("Hand ownership to another user first (PATCH role=owner).",),
                    detail={"user_id": user_id},
                )
            if target.id == actor.user_id:
                raise ReelForgeError(
                    ErrorCode.CONFLICT,
                    "You cannot deactivate yourself.",
                    remediation=("Ask the owner to do it.",),
                )
            runs = await session.execute(
                select(RunRow.id).where(RunRow.owner_id == user_id, RunRow.status.in_(_UNFINISHED))
            )
            in_flight = list(runs.scalars())
            if in_flight and self.runs is None:
                raise ReelForgeError(
                    ErrorCode.INTERNAL_ERROR,
                    "The user has runs in flight and this service has no run service to "
                    "cancel them with.",
                    detail={"runs": in_flight},
                )
            revoked = await identity.deactivate_user(session, user_id)
        # Outside the transaction: cancels write through the engine. A failure here leaves
        # the user deactivated; deactivating again cancels what is still unfinished.
        canceled = await self._cancel_runs(user_id, in_flight)
        async with self.db.session() as session:
            view = (await _views(session, [await identity.require_user(session, user_id)]))[0]
        log.info("user_deactivated", user_id=user_id, keys=revoked, runs=len(canceled))
        return Deactivated(view, revoked, canceled)

    async def _cancel_runs(self, user_id: str, run_ids: Iterable[str]) -> list[str]:
        canceled: list[str] = []
        for run_id in run_ids:
            assert self.runs is not None  # checked before the user was deactivated
            try:
                finishing = await self.runs.cancel_run(run_id, user_id)
            except ReelForgeError as exc:
                if exc.code is ErrorCode.CONFLICT:  # it ended meanwhile
                    continue
                raise
            canceled.append(run_id)
            if finishing and self.enqueue is not None:
                await self.enqueue(finishing)
        return canceled

    # -- keys ----------------------------------------------------------------------------

    async def create_key(
        self,
        actor: Principal,
        user_id: str,
        *,
        label: str = "",
        scopes: frozenset[Scope] | None = None,
        expires_at: datetime | None = None,
        expires_in_days: int | None = None,
    ) -> tuple[ApiKeyRow, str]:
        """A new key for ``user_id`` (the caller's own, or a user they manage)."""
        expiry = identity.key_expiry(expires_at, expires_in_days)
        granted = check_grantable(actor.scopes, scopes)
        async with self.db.transaction() as session:
            _role, target = await self._managed(session, actor, user_id)
            if target.deactivated_at is not None:
                raise ReelForgeError(
                    ErrorCode.CONFLICT,
                    f"User {user_id} is deactivated: it cannot get keys.",
                    remediation=("Reactivate it first (PATCH with active: true).",),
                    detail={"user_id": user_id, "deactivated": True},
                )
            return await identity.create_api_key(
                session,
                user_id,
                label,
                scopes=granted,
                expires_at=expiry,
                created_by=actor.user_id,
            )

    async def list_keys(self, actor: Principal, user_id: str) -> list[ApiKeyRow]:
        async with self.db.session() as session:
            await self._managed(session, actor, user_id)
            return await identity.list_api_keys(session, user_id)

    async def revoke_key(self, actor: Principal, user_id: str, key_id: str) -> ApiKeyRow:
        async with self.db.transaction() as session:
            await self._managed(session, actor, user_id)
            if not await identity.revoke_api_key(session, key_id, user_id):
                raise ReelForgeError(
                    ErrorCode.NOT_FOUND,
                    f"User {user_id} has no active API key {key_id!r}.",
                    remediation=("List the keys (`reelforge keys list`); it may be revoked.",),
                    detail={"key_id": key_id, "user_id": user_id},
                )
            row = await session.get(ApiKeyRow, key_id, populate_existing=True)
            assert row is not None
            return row


def _name(name: str) -> str:
    value = name.strip()
    if not value or len(value) > 200:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "A user's name needs 1 to 200 characters.",
            detail={"invalid_fields": [{"field": "name", "problem": "1..200 characters"}]},
        )
    return value


async def _change_role(
    session: AsyncSession, actor: Principal, actor_role: Role, target: UserRow, role: Role
) -> None:
    current = Role(target.role)
    if current is Role.OWNER:
        raise ReelForgeError(
            ErrorCode.CONFLICT,
            "The owner cannot be demoted: there must always be one.",
            remediation=("Hand ownership over instead: PATCH another user with role=owner.",),
            detail={"user_id": target.id},
        )
    if role is Role.OWNER:
        if target.deactivated_at is not None:
            raise ReelForgeError(ErrorCode.CONFLICT, "A deactivated user cannot be the owner.")
        # Compare-and-set: of two hand-overs at once, one finds it is no longer the owner.
        if actor_role is not Role.OWNER or not await identity.set_role_if(
            session, actor.user_id, Role.OWNER, Role.ADMIN
        ):
            raise ReelForgeError(ErrorCode.CONFLICT, "Only the current owner can hand it over.")
    target.role = role.value


async def _set_plan(
    session: AsyncSession, user_id: str, plan_id: str, actor_id: str, key: str | None
) -> None:
    """Through the ledger's plan change; the plan the user is already on changes nothing."""
    state = await billing.ensure_period(session, user_id)
    if state.plan.id == plan_id:
        return
    await billing.set_plan(
        session,
        user_id,
        plan_id,
        idempotency_key=f"api:{key}" if key else f"users:{user_id}:{uuid.uuid4().hex}",
        actor_id=actor_id,
        reason="plan set by user admin",
    )


async def _views(session: AsyncSession, rows: list[UserRow]) -> list[UserView]:
    ids = [r.id for r in rows]
    plans = dict(
        (
            await session.execute(
                select(WalletRow.owner_id, WalletRow.plan_id).where(WalletRow.owner_id.in_(ids))
            )
        ).all()
    )
    default = (
        await session.execute(select(PlanRow.id).where(PlanRow.is_default.is_(True)).limit(1))
    ).scalar_one_or_none() or BUILTIN_DEFAULT_PLAN
    return [UserView(r, plans.get(r.id, default)) for r in rows]
