"""Unknown query parameters are refused on every /v1 route (VALIDATION_ERROR listing the
allowed ones), as unknown body fields are: a misspelt ``?limt=5`` must not be ignored.

One app-wide dependency: the allowed names are read from the matched route's own
declared query parameters (aliases included), once per route.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from reelforge.api.param_guard import check_param_values
from reelforge.domain.errors import ErrorCode, ReelForgeError

# Providers call these with URLs they may decorate with their own parameters.
_EXEMPT = ("/v1/callbacks/",)
_allowed: dict[int, frozenset[str]] = {}


def allowed_query(route: APIRoute) -> frozenset[str]:
    names = _allowed.get(id(route))
    if names is None:
        names = frozenset(_query_names(route.dependant))
        _allowed[id(route)] = names
    return names


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def refuse_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    check_param_values(request, route)
    if not request.url.query or not route.path.startswith("/v1/"):
        return
    if route.path.startswith(_EXEMPT):
        return
    allowed = allowed_query(route)
    unknown = sorted({name for name in request.query_params if name not in allowed})
    if unknown:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"Unknown query parameter(s): {', '.join(unknown)}.",
            detail={"unknown_query": unknown, "allowed_query": sorted(allowed)},
            remediation=(
                "Remove them; this endpoint accepts "
                + (", ".join(sorted(allowed)) if allowed else "no query parameters")
                + ".",
            ),
        )
