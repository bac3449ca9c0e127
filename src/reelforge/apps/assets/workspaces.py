"""Workspaces (seed 004, "Workspace / Project System"): each typed to one mode, scoped to
a user, at most the plan's ``max_workspaces``; a workspace's mode never changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from reelforge.apps.assets.modes.registry import ModeRegistry
from reelforge.apps.assets.tables import WorkspaceRow
from reelforge.billing.wallets import ensure_period
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.storage.db import Database
from reelforge.storage.tables import utcnow


def workspace_view(row: WorkspaceRow) -> dict[str, Any]:
    return {"id": row.id, "mode": row.mode, "name": row.name, "created_at": row.created_at}


async def get_workspace(db: Database, owner_id: str, workspace_id: str) -> WorkspaceRow:
    async with db.session() as session:
        row = await session.get(WorkspaceRow, workspace_id)
    if row is None or row.owner_id != owner_id:
        raise ReelForgeError(
            ErrorCode.NOT_FOUND,
            f"No workspace {workspace_id!r}.",
            detail={"workspace_id": workspace_id},
        )
    return row


async def create_workspace(
    db: Database, modes: ModeRegistry, owner_id: str, mode_id: str, name: str
) -> WorkspaceRow:
    mode = modes.get(mode_id)
    async with db.transaction() as session:
        state = await ensure_period(session, owner_id)  # the wallet lock: one at a time
        count = (
            await session.execute(
                select(func.count())
                .select_from(WorkspaceRow)
                .where(WorkspaceRow.owner_id == owner_id)
            )
        ).scalar_one()
        if count >= state.plan.max_workspaces:
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"The {state.plan.name} plan allows {state.plan.max_workspaces} workspaces; "
                f"you have {count}.",
                remediation=("Delete a workspace, or move to a plan with more workspaces.",),
                detail={"max_workspaces": state.plan.max_workspaces, "workspaces": count},
            )
        row = WorkspaceRow(
            id=new_id("aws"), owner_id=owner_id, mode=mode.id, name=name, created_at=utcnow()
        )
        session.add(row)
    return row


async def list_workspaces(db: Database, owner_id: str, mode: str | None) -> list[WorkspaceRow]:
    async with db.session() as session:
        stmt = select(WorkspaceRow).where(WorkspaceRow.owner_id == owner_id)
        if mode:
            stmt = stmt.where(WorkspaceRow.mode == mode)
        return list((await session.execute(stmt.order_by(WorkspaceRow.created_at))).scalars())


async def rename_workspace(
    db: Database, owner_id: str, workspace_id: str, name: str | None, mode: str | None
) -> WorkspaceRow:
    row = await get_workspace(db, owner_id, workspace_id)
    if mode is not None and mode != row.mode:
        raise ReelForgeError(
            ErrorCode.MODE_MISMATCH,
            f"A workspace keeps its mode ({row.mode}); it cannot switch to {mode}.",
            remediation=(f"Create a {mode} workspace and import the assets you need into it.",),
            detail={"workspace_mode": row.mode, "asked": mode},
        )
    if name:
        async with db.transaction() as session:
            fresh = await session.get(WorkspaceRow, workspace_id)
            assert fresh is not None
            fresh.name = name
        row.name = name
    return row
