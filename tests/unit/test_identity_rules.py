"""Who may manage whom, and what a key's scopes allow (domain.identity, pure)."""

from __future__ import annotations

import pytest

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.identity import (
    Role,
    Scope,
    check_grantable,
    check_manage,
    parse_scopes,
    scope_allows,
)

OWNER, ADMIN, MEMBER, AGENT = Role.OWNER, Role.ADMIN, Role.MEMBER, Role.AGENT


@pytest.mark.parametrize(
    ("actor", "target", "new_role", "allowed"),
    [
        (OWNER, ADMIN, MEMBER, True),
        (OWNER, MEMBER, ADMIN, True),
        (OWNER, OWNER, None, True),
        (ADMIN, MEMBER, AGENT, True),
        (ADMIN, AGENT, None, True),
        (ADMIN, MEMBER, ADMIN, False),
        (ADMIN, MEMBER, OWNER, False),
        (ADMIN, ADMIN, None, False),
        (ADMIN, OWNER, None, False),
        (MEMBER, MEMBER, None, False),
        (AGENT, MEMBER, None, False),
    ],
)
def test_who_manages_whom(actor: Role, target: Role, new_role: Role | None, allowed: bool) -> None:
    if allowed:
        check_manage(actor, target, new_role)
        return
    with pytest.raises(ReelForgeError) as exc:
        check_manage(actor, target, new_role)
    assert exc.value.code is ErrorCode.FORBIDDEN and exc.value.remediation


def test_scopes_include_the_ones_before() -> None:
    assert scope_allows(None, Scope.ADMIN)
    assert scope_allows(frozenset({Scope.GENERATE}), Scope.READ)
    assert not scope_allows(frozenset({Scope.READ}), Scope.GENERATE)
    assert not scope_allows(frozenset({Scope.GENERATE}), Scope.ADMIN)
    assert scope_allows(frozenset({Scope.ADMIN}), Scope.GENERATE)


def test_parse_scopes() -> None:
    assert parse_scopes(None) is None
    assert parse_scopes(["read", "read"]) == {Scope.READ}
    with pytest.raises(ReelForgeError) as exc:
        parse_scopes(["read", "write"])
    assert exc.value.detail["unknown_scopes"] == ["write"]
    with pytest.raises(ReelForgeError):
        parse_scopes([])


def test_a_key_grants_no_more_than_it_has() -> None:
    read, gen = frozenset({Scope.READ}), frozenset({Scope.GENERATE})
    assert check_grantable(None, None) is None
    assert check_grantable(gen, read) == read
    assert check_grantable(gen, None) == gen  # "no limits" from a scoped key: its own
    with pytest.raises(ReelForgeError) as exc:
        check_grantable(read, gen)
    assert exc.value.code is ErrorCode.FORBIDDEN and exc.value.detail["asked"] == ["generate"]
