"""The OpenAPI document says what each operation really answers (issue 25, defect 4).

FastAPI documents the success status and a 422 in its own shape; the API answers more
than that, always in the error envelope. Each operation's error responses are derived
from what the route is made of, so a new route is documented without anyone listing
codes by hand:

- its dependencies: a caller (401, 403 for keys without the scope), an admin (403), the
  generation limiter (429);
- its parameters: every /v1 route refuses unknown query parameters (422), a path id may
  name nothing (404), a body may be too large (413);
- the error codes its handler and the module's helpers name (``ErrorCode.X`` →
  that code's HTTP status), read once from the source;
- what its service layer raises, for the operations that start paid work or reach a
  provider (``SERVICE_CODES``), which the handler's own source cannot show.

Every error response's schema is ``ErrorEnvelope``.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from reelforge.api.param_guard import INT64_MAX
from reelforge.domain.errors import ErrorCode

ENVELOPE = "ErrorEnvelope"

DESCRIPTIONS = {
    400: "Bad request (an unsafe URL, a malformed upload).",
    401: "No API key, or one that is not valid (AUTH_FAILED).",
    402: "Not enough credits, a budget reached, or a payment needed.",
    403: "Not allowed: the role or the key's scopes do not permit it.",
    404: "Nothing with this id that the caller may see (NOT_FOUND).",
    405: "The path exists; the method does not (see the Allow header).",
    409: "Conflicts with the current state (CONFLICT and the product codes).",
    413: "The request body is over the server's limit (PAYLOAD_TOO_LARGE).",
    415: "A media type this operation does not take (UNSUPPORTED_MEDIA).",
    416: "The Range cannot be satisfied.",
    422: "Invalid values, unknown or missing fields (VALIDATION_ERROR, CONTRACT_MISMATCH).",
    424: "The provider account failed the request (out of credit, a dependency missing).",
    429: "Too many requests (RATE_LIMITED): wait for Retry-After.",
    502: "The provider or the catalog answered with an error.",
    503: "The engine is not available, or the feature is switched off.",
    504: "The engine did not finish in time.",
}

# What the service layer behind an operation raises, beyond its own source (method and
# path patterns; "*" any method).
_STARTS_WORK = (402, 409, 424, 502, 503)
SERVICE_CODES: list[tuple[str, str, tuple[int, ...]]] = [
    ("POST", r"^/v1/(generations|runs|generate|quotes)$", _STARTS_WORK),
    ("POST", r"^/v1/presets/[^/]+/quote$", _STARTS_WORK),
    ("POST", r"^/v1/runs/\{run_id\}/cancel$", (409,)),
    ("POST", r"^/v1/uploads$", (400, 415)),
    ("POST", r"^/v1/session$", (401,)),  # the key given in the body is not valid
    ("POST", r"^/v1/assets/accounts/signin$", (401, 403)),  # wrong password; unverified
    ("POST", r"^/api/v1/agents/register$", (401,)),  # a signature not valid, or too old
    ("POST", r"^/(api|v1/assets)/uiux/generate$", (424,)),  # the preview's Chromium missing
    ("GET", r"^/v1/artifacts/\{artifact_id\}/content$", (416,)),
    ("*", r"^/v1/providers/\{name\}", (400, 502, 503)),
    ("*", r"^/v1/setup/", (400, 409, 502, 503, 504)),
    ("*", r"^/v1/sources", (400, 409, 502)),
    ("*", r"^/v1/credits/", (409,)),
    ("*", r"^/v1/pipelines", (409,)),
    ("W", r"^/v1/(market|assets)/|^/api/(atelier|generate|uiux)", (402, 409, 503)),
    # UI/UX code: the chat model's refusals (429, 502) and 424 DEPENDENCY_MISSING for a
    # preview on a server without Chromium (apps/assets/uiux_code.py).
    ("POST", r"^/(v1/assets|api)/uiux/generate$", (424, 429, 502)),
    ("W", r"^/api/v1/", (402, 409, 503)),
    ("*", r"^/api/v1/staking", (503,)),
]
# Resolving the caller inside a handler (not as a dependency) answers as the dependency does.
_AUTH_CALLS = ("get_principal", "bearer_key")
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorBody(BaseModel):
    code: str = Field(description="A stable code from the taxonomy; branch on it.")
    message: str = Field(description="What went wrong, for people.")
    remediation: list[str] = Field(description="What to do about it, in order.")
    detail: dict[str, Any] = Field(description="Facts about the failure (fields, limits, ids).")
    retryable: bool = Field(description="Whether the same request may succeed later.")
    request_id: str | None = Field(
        description="The request's id (also the X-Request-Id header); quote it in reports."
    )


class ErrorEnvelope(BaseModel):
    """Every error answer of the API."""

    error: ErrorBody


class AtelierError(BaseModel):
    """The error shape of the Atelier-compatible API (/api/atelier, its seed's contract)."""

    error: str = Field(description="What went wrong, for people.")
    code: str = Field(description="A stable code from the taxonomy; branch on it.")
    remediation: list[str]
    detail: dict[str, Any]
    request_id: str | None


# A route class may name its error shape (``error_schema = "AtelierError"``).
ERROR_MODELS: dict[str, type[BaseModel]] = {ENVELOPE: ErrorEnvelope, "AtelierError": AtelierError}


def api_routes(app: FastAPI) -> list[Any]:
    """The app's operations as FastAPI sees them (routers included in routers flattened;
    each has path_format, methods, dependant, endpoint, body_field)."""
    return [
        ctx
        for ctx in routing.iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute)
    ]


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def _calls(route: Any) -> set[Callable[..., Any]]:
    return {d.call for d in _walk(route.dependant) if d.call is not None}


def _params(route: Any) -> tuple[bool, bool]:
    has_path = any(d.path_params for d in _walk(route.dependant))
    has_body = route.body_field is not None
    return has_path, has_body


@cache
def _source_codes(func: Callable[..., Any]) -> frozenset[int]:
    """Statuses of the ``ErrorCode``s (and literal HTTP statuses raised) in a function and
    in the helpers of its module it calls by name."""
    module = inspect.getmodule(func)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return frozenset()
    seen: set[str] = set()
    statuses: set[int] = set()
    todo = [tree]
    while todo:
        node = todo.pop()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                if sub.value.id == "ErrorCode" and sub.attr in ErrorCode.__members__:
                    statuses.add(ErrorCode[sub.attr].info.http_status)
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                name = sub.func.id
                if name in _AUTH_CALLS:
                    statuses |= {401, 403}
                if name in ("HTTPException", "JSONResponse") and sub.args:
                    status = sub.args[0]
                    if isinstance(status, ast.Constant) and isinstance(status.value, int):
                        statuses.add(status.value)
                helper = getattr(module, name, None)
                if name not in seen and inspect.isfunction(helper) and helper is not func:
                    seen.add(name)
                    if inspect.getmodule(helper) is module:
                        try:
                            todo.append(ast.parse(textwrap.dedent(inspect.getsource(helper))))
                        except (OSError, SyntaxError):
                            pass
    return frozenset(s for s in statuses if s >= 400)


def error_statuses(route: Any, method: str) -> set[int]:
    """The error statuses an operation can answer."""
    from reelforge.api import deps  # the dependencies that decide auth and limits

    calls = _calls(route)
    codes: set[int] = set()
    if deps.get_principal in calls:
        codes |= {401, 403}
    if deps.require_admin in calls:
        codes.add(403)
    if deps.limit_generations in calls:
        codes.add(429)
    has_path, has_body = _params(route)
    if has_path:
        codes.add(404)
    has_query = any(d.query_params for d in _walk(route.dependant))
    if has_body:
        codes |= {400, 413, 422}  # 400: a body that is not JSON at all
    if has_body or has_query:
        codes.add(404)  # ids travel in bodies and queries too (a model, a user, a plan)
    if route.path_format.startswith("/v1/") or has_query:
        codes.add(422)
    for call in calls:
        codes |= _source_codes(call)
    codes |= _source_codes(route.endpoint)
    for verb, pattern, extra in SERVICE_CODES:
        if (verb in ("*", method) or (verb == "W" and method in _WRITES)) and re.search(
            pattern, route.path_format
        ):
            codes.update(extra)
    codes.discard(500)  # every operation may fail unexpectedly; not listed per operation
    return codes


def _guarded(schema: dict[str, Any]) -> None:
    """What ``param_guard`` refuses in every query and path value, said by its schema:
    integers beyond 64 bits, NUL characters."""
    for branch in [schema, *schema.get("anyOf", [])]:
        if branch.get("type") == "integer":
            branch["maximum"] = min(branch.get("maximum", INT64_MAX), INT64_MAX)
            branch["minimum"] = max(branch.get("minimum", -INT64_MAX - 1), -INT64_MAX - 1)
        elif branch.get("type") == "string" and "enum" not in schema:
            branch.setdefault("not", {"pattern": "\\x00"})


def _error_response(status: int, ref: dict[str, str]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, "An error."),
        "content": {"application/json": {"schema": ref}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "string"}}
        }
    return response


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        openapi_version=app.openapi_version,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
        separate_input_output_schemas=app.separate_input_output_schemas,
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for model_name, model in ERROR_MODELS.items():
        json_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in json_schema.pop("$defs", {}).items():
            schemas[name] = sub
        schemas[model_name] = json_schema
    for route in api_routes(app):
        if not route.include_in_schema:
            continue
        item = doc["paths"].get(route.path_format, {})
        shape = getattr(route.original_route, "error_schema", ENVELOPE)
        ref = {"$ref": f"#/components/schemas/{shape}"}
        for method in route.methods:
            op = item.get(method.lower())
            if op is None:
                continue
            for parameter in op.get("parameters", []):
                if parameter.get("in") in ("query", "path"):
                    _guarded(parameter.get("schema") or {})
            responses = op.setdefault("responses", {})
            for status in sorted(error_statuses(route, method)):
                current = responses.get(str(status))
                if current is None or status == 422:
                    # FastAPI's 422 has its own shape; ours is the envelope.
                    responses[str(status)] = _error_response(status, ref)
                elif "content" not in current:
                    current["content"] = {"application/json": {"schema": ref}}
    for unused in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{unused}"' not in str(doc["paths"]).replace("'", '"'):
            schemas.pop(unused, None)
    app.openapi_schema = doc
    return doc


def install_openapi(app: FastAPI) -> None:
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
