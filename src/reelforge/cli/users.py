"""``reelforge users list|add|show|update|remove`` and ``reelforge keys list|create|revoke``.

Everything goes through the server's /v1/users and /v1/me/keys (the key in use decides
what is allowed: the owner's key from owner.key, or REELFORGE_API_KEY).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from reelforge.cli.client import connect
from reelforge.cli.output import console, emit_json
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.settings import Settings

users_app = typer.Typer(
    help="Users, roles (owner, admin, member, agent) and plans.", no_args_is_help=True
)
keys_app = typer.Typer(help="API keys: yours, or (--user) a user you manage.", no_args_is_help=True)

ServerOpt = Annotated[
    str | None, typer.Option("--server", help="ReelForge URL (default from settings).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
UserOpt = Annotated[
    str | None, typer.Option("--user", help="A user you manage (default: yourself).")
]
ROLES = ("owner", "admin", "member", "agent")


def _when(value: str | None) -> str:
    return value[:19].replace("T", " ") if value else ""


def _check_role(role: str | None) -> str | None:
    if role is not None and role not in ROLES:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"--role must be one of {', '.join(ROLES)}, not {role!r}.",
            detail={"invalid_fields": [{"field": "role", "problem": "unknown role"}]},
        )
    return role


def _show_user(user: dict[str, Any]) -> None:
    table = Table(show_header=False, title=f"user {user['id']}")
    for field in ("name", "email", "role", "plan_id", "active", "created_at", "deactivated_at"):
        value = user.get(field)
        table.add_row(field, "" if value is None else str(value))
    for field in ("revoked_keys", "canceled_runs"):
        if field in user:
            value = user[field]
            table.add_row(field, ", ".join(value) if isinstance(value, list) else str(value))
    console.print(table)


@users_app.command("list")
def list_users(
    role: Annotated[str | None, typer.Option(help="Only this role.")] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Deactivated users too.")] = False,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every user (owners and admins)."""
    params: dict[str, Any] = {"include_deactivated": all_users}
    if _check_role(role):
        params["role"] = role
    with connect(Settings(), server) as api:
        data = api.request("GET", "/v1/users", params=params)
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"users ({len(data['users'])})")
    for col in ("id", "name", "email", "role", "plan", "active"):
        table.add_column(col, overflow="fold")
    for u in data["users"]:
        table.add_row(
            u["id"],
            u["name"],
            u["email"] or "",
            u["role"],
            u["plan_id"],
            "yes" if u["active"] else "no",
        )
    console.print(table)


@users_app.command("add")
def add_user(
    name: Annotated[str, typer.Argument(help="The user's name.")],
    email: Annotated[str | None, typer.Option(help="Unique email.")] = None,
    role: Annotated[str, typer.Option(help="admin, member or agent.")] = "member",
    plan: Annotated[str | None, typer.Option(help="Plan id (default: the default plan).")] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user or an agent (make a key for it with `reelforge keys create --user`)."""
    body = {"name": name, "email": email, "role": _check_role(role), "plan_id": plan}
    with connect(Settings(), server) as api:
        user = api.request("POST", "/v1/users", json=body)
    if as_json:
        emit_json(user)
        return
    console.print(f"[green]✓[/] {user['role']} {user['name']} created: {user['id']}")
    _show_user(user)


@users_app.command("show")
def show_user(
    user_id: Annotated[str, typer.Argument(help="The user's id.")],
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One user."""
    with connect(Settings(), server) as api:
        user = api.request("GET", f"/v1/users/{user_id}")
    if as_json:
        emit_json(user)
    else:
        _show_user(user)


@users_app.command("update")
def update_user(
    user_id: Annotated[str, typer.Argument(help="The user's id.")],
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    email: Annotated[str | None, typer.Option(help="New email ('' removes it).")] = None,
    role: Annotated[
        str | None, typer.Option(help="New role; owner hands ownership over (owner only).")
    ] = None,
    plan: Annotated[str | None, typer.Option(help="Move to this plan (a new period).")] = None,
    reactivate: Annotated[bool, typer.Option(help="Reactivate a removed user.")] = False,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a user's name, email, role or plan, or reactivate them."""
    body: dict[str, Any] = {
        k: v
        for k, v in {
            "name": name,
            "email": email,
            "role": _check_role(role),
            "plan_id": plan,
        }.items()
        if v is not None
    }
    if reactivate:
        body["active"] = True
    if not body:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "Nothing to change.",
            remediation=("Give --name, --email, --role, --plan or --reactivate.",),
        )
    with connect(Settings(), server) as api:
        user = api.request("PATCH", f"/v1/users/{user_id}", json=body)
    if as_json:
        emit_json(user)
    else:
        _show_user(user)


@users_app.command("remove")
def remove_user(
    user_id: Annotated[str, typer.Argument(help="The user's id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deactivate a user: revoke their keys and cancel their runs in flight (their runs and
    ledger entries are kept; `update --reactivate` undoes it)."""
    if not yes and not typer.confirm(f"Deactivate {user_id} and cancel their runs in flight?"):
        raise typer.Exit(1)
    with connect(Settings(), server) as api:
        user = api.request("DELETE", f"/v1/users/{user_id}")
    if as_json:
        emit_json(user)
        return
    console.print(
        f"[green]✓[/] {user['name']} deactivated: {user['revoked_keys']} key(s) revoked, "
        f"{len(user['canceled_runs'])} run(s) canceled"
    )


def _keys_path(user: str | None) -> str:
    return f"/v1/users/{user}/keys" if user else "/v1/me/keys"


@keys_app.command("list")
def list_keys(user: UserOpt = None, server: ServerOpt = None, as_json: JsonOpt = False) -> None:
    """Keys: prefix, label, scopes, created, last used, expiry, state."""
    with connect(Settings(), server) as api:
        data = api.request("GET", _keys_path(user))
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"keys of {user or 'you'} ({len(data['keys'])})")
    for col in ("id", "prefix", "label", "scopes", "created", "last used", "expires", "state"):
        table.add_column(col, overflow="fold")
    colors = {"active": "green", "expired": "yellow", "revoked": "red"}
    for k in data["keys"]:
        table.add_row(
            k["id"],
            k["prefix"] + "…",
            k["label"],
            ",".join(k["scopes"]),
            _when(k["created_at"]),
            _when(k["last_used_at"]) or "never",
            _when(k["expires_at"]) or "never",
            f"[{colors[k['state']]}]{k['state']}[/]",
        )
    console.print(table)


@keys_app.command("create")
def create_key(
    user: UserOpt = None,
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
    scopes: Annotated[
        list[str] | None,
        typer.Option("--scope", help="read, generate or admin; repeat. Default: no limits."),
    ] = None,
    expires_in_days: Annotated[
        int | None, typer.Option("--expires-in-days", help="Stop working after N days.")
    ] = None,
    expires_at: Annotated[
        datetime | None,
        typer.Option(
            "--expires-at",
            help="Stop working at this UTC time.",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
        ),
    ] = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a key. It is shown this once: store it now."""
    body: dict[str, Any] = {"label": label, "scopes": scopes or None}
    if expires_in_days is not None:
        body["expires_in_days"] = expires_in_days
    if expires_at is not None:
        body["expires_at"] = expires_at.isoformat() + "Z"
    with connect(Settings(), server) as api:
        key = api.request("POST", _keys_path(user), json=body)
    if as_json:
        emit_json(key)
        return
    console.print(f"[green]✓[/] key {key['id']} ({','.join(key['scopes'])}) for {key['user_id']}")
    console.print(f"  expires: {_when(key['expires_at']) or 'never'}")
    console.print("[bold]Store it now; it is not shown again:[/]")
    # Plain print: the key must be copyable, never wrapped or styled.
    typer.echo(key["key"])


@keys_app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `keys list`).")],
    user: UserOpt = None,
    server: ServerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a key: it stops working at once."""
    with connect(Settings(), server) as api:
        key = api.request("DELETE", f"{_keys_path(user)}/{key_id}")
    if as_json:
        emit_json(key)
    else:
        console.print(f"[green]✓[/] key {key['id']} ({key['prefix']}…) revoked")
