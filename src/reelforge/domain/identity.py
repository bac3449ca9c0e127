"""Who is acting: users, roles, key scopes, the principal a key resolves to, and the rules
for who may manage whom (pure: the storage and API layers call these)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from reelforge.domain.errors import ErrorCode, ReelForgeError


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    AGENT = "agent"

    @property
    def is_admin(self) -> bool:
        return self in (Role.OWNER, Role.ADMIN)


class Scope(StrEnum):
    """What a key may do, within what its user's role allows.

    ``read``: every GET (and quotes); ``generate``: every other request on the caller's own
    things (runs, generations, uploads, cancels, own keys and provider keys); ``admin``:
    the admin routes (users, other users' keys, credits). Each includes the ones before it.
    """

    READ = "read"
    GENERATE = "generate"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Scope.READ: 0, Scope.GENERATE: 1, Scope.ADMIN: 2}
ALL_SCOPES: frozenset[Scope] = frozenset(Scope)


def parse_scopes(values: Iterable[str] | None) -> frozenset[Scope] | None:
    """``None`` (no restriction) or the named scopes; unknown names are a clear error."""
    if values is None:
        return None
    known = {s.value for s in Scope}
    unknown = sorted({v for v in values if v not in known})
    if unknown:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Unknown scope(s): {', '.join(unknown)}.",
            detail={"unknown_scopes": unknown, "scopes": sorted(known)},
        )
    scopes = frozenset(Scope(v) for v in values)
    if not scopes:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            "A key needs at least one scope (or leave `scopes` out for a key without limits).",
            detail={"scopes": sorted(known)},
        )
    return scopes


def scope_allows(scopes: frozenset[Scope] | None, needed: Scope) -> bool:
    if scopes is None:
        return True
    return any(s.rank >= needed.rank for s in scopes)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request."""

    user_id: str
    role: Role
    api_key_id: str
    name: str = ""
    # None: the key has no scope limits (everything the role allows).
    scopes: frozenset[Scope] | None = None
    expires_at: datetime | None = None
    # The user's plan's rate-limit multiplier (Free 1, Pro 3, Studio 10 by default).
    rate_multiplier: float = 1.0

    def allows(self, needed: Scope) -> bool:
        return scope_allows(self.scopes, needed)


def check_manage(actor: Role, target: Role, new_role: Role | None = None) -> None:
    """May ``actor`` change (or deactivate) a user whose role is ``target``, optionally
    giving them ``new_role``? Owners manage everyone; admins manage members and agents
    only; nobody else manages users."""
    if not actor.is_admin:
        raise ReelForgeError(
            ErrorCode.FORBIDDEN,
            "Managing users needs the owner or admin role.",
            remediation=("Ask the owner or an admin to do this.",),
        )
    if actor is Role.OWNER:
        return
    if target is Role.OWNER:
        raise ReelForgeError(
            ErrorCode.FORBIDDEN,
            "An admin cannot change the owner.",
            remediation=("Only the owner can change their own account.",),
            detail={"target_role": target.value},
        )
    if target is Role.ADMIN or new_role in (Role.OWNER, Role.ADMIN):
        raise ReelForgeError(
            ErrorCode.FORBIDDEN,
            "Only the owner can make, change or remove admins.",
            remediation=("Ask the owner to do this.",),
            detail={"target_role": target.value, "new_role": new_role and new_role.value},
        )


def check_grantable(
    caller: frozenset[Scope] | None, wanted: frozenset[Scope] | None
) -> frozenset[Scope] | None:
    """A key cannot make a key that may do more than itself; a scoped key asking for no
    limits gets its own scopes."""
    if caller is None:
        return wanted
    if wanted is None:
        return caller
    top = max(s.rank for s in caller)
    beyond = sorted(s.value for s in wanted if s.rank > top)
    if beyond:
        raise ReelForgeError(
            ErrorCode.FORBIDDEN,
            f"This key cannot create a key with the scope(s) {', '.join(beyond)}.",
            remediation=("Ask for fewer scopes, or use a key that has them.",),
            detail={"key_scopes": sorted(s.value for s in caller), "asked": beyond},
        )
    return wanted
