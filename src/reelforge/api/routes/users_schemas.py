"""Request and response bodies of /v1/users and the key endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field, JsonValue

from reelforge.api.schemas import EMAIL_PATTERN, WS, RequestModel, ResponseModel
from reelforge.domain.identity import ALL_SCOPES, Role, Scope
from reelforge.engine.users import UserView
from reelforge.storage.identity_tables import ApiKeyRow
from reelforge.storage.tables import utcnow

# What storage.identity.normalize_email accepts, so the schema says it (empty: none).
EMAIL_SCHEMA: dict[str, JsonValue] = {"pattern": rf"{EMAIL_PATTERN}|^{WS}*$"}


def _new_role(schema: dict[str, Any]) -> None:
    """A new user is not the owner (there is exactly one: engine.users)."""
    schema.pop("$ref", None)
    schema.update(type="string", enum=[r.value for r in Role if r is not Role.OWNER])


class UserIn(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320, json_schema_extra=EMAIL_SCHEMA)
    role: Role = Field(
        default=Role.MEMBER, description="admin, member or agent.", json_schema_extra=_new_role
    )
    plan_id: str | None = Field(default=None, description="Default: the default plan.")


class UserPatch(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(
        default=None, max_length=320, description="Empty: none.", json_schema_extra=EMAIL_SCHEMA
    )
    role: Role | None = Field(
        default=None, description="owner (from the owner) hands ownership over."
    )
    plan_id: str | None = None
    active: bool | None = Field(
        default=None,
        description="true: reactivate a deleted user (deactivate with DELETE).",
        json_schema_extra={"enum": [True, None]},
    )


class UserOut(ResponseModel):
    id: str
    name: str
    email: str | None
    role: str
    plan_id: str
    active: bool
    created_at: datetime
    updated_at: datetime | None
    deactivated_at: datetime | None


class UserList(ResponseModel):
    users: list[UserOut]
    next_after: str | None = Field(default=None, description="Pass as `after` for more.")


class DeletedOut(UserOut):
    revoked_keys: int
    canceled_runs: list[str]


class KeyIn(RequestModel):
    label: str = Field(default="", max_length=200)
    scopes: list[Scope] | None = Field(
        default=None,
        description="read, generate, admin (each includes the ones before). "
        "Leave out for a key that may do all the user's role allows.",
        json_schema_extra={"minItems": 1},  # an empty list is refused (domain.identity)
    )
    # expires_at or expires_in_days, not both (storage.identity).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "not": {
                "required": ["expires_at", "expires_in_days"],
                "properties": {
                    "expires_at": {"type": "string"},
                    "expires_in_days": {"type": "integer"},
                },
            }
        },
    )

    expires_at: datetime | None = Field(default=None, description="When the key stops working.")
    expires_in_days: int | None = Field(
        default=None,
        description="Or: days from now (1..3650).",
        json_schema_extra={"minimum": 1, "maximum": 3650},
    )


class KeyOut(ResponseModel):
    id: str
    user_id: str
    label: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    state: str = Field(description="active, expired or revoked.")


class NewKeyOut(KeyOut):
    key: str = Field(description="The key itself: shown this once, stored only as a hash.")


class KeyList(ResponseModel):
    keys: list[KeyOut]


def user_out(view: UserView) -> UserOut:
    u = view.user
    return UserOut(
        id=u.id,
        name=u.name,
        email=u.email,
        role=u.role,
        plan_id=view.plan_id,
        active=u.deactivated_at is None,
        created_at=u.created_at,
        updated_at=u.updated_at,
        deactivated_at=u.deactivated_at,
    )


def key_out(row: ApiKeyRow) -> KeyOut:
    if row.revoked_at is not None:
        state = "revoked"
    elif row.expires_at is not None and row.expires_at <= utcnow():
        state = "expired"
    else:
        state = "active"
    scopes = sorted(s.value for s in ALL_SCOPES) if row.scopes is None else list(row.scopes)
    return KeyOut(
        id=row.id,
        user_id=row.owner_id,
        label=row.label,
        prefix=row.prefix,
        scopes=scopes,
        created_at=row.created_at,
        created_by=row.created_by,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        state=state,
    )


def new_key_out(row: ApiKeyRow, plain: str) -> NewKeyOut:
    return NewKeyOut(**key_out(row).model_dump(), key=plain)
