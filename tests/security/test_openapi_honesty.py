"""Defect 4 of issue 25, OpenAPI honesty: 22 undocumented status codes (404 on
``/v1/models/{id}``, 400s, 415s…), schema-valid requests refused, and wrong ``Allow``
headers on 405.

The test walks every operation of the live document and asks the app what an outsider
would: no key, an id that names nothing, an unknown query parameter, a method the path
does not have. Every answer's status must be one the operation documents, every error
documented must be the envelope, and a 405 must list exactly the path's methods.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

METHODS = ("get", "put", "post", "delete", "patch")
SHAPES = (
    {"$ref": "#/components/schemas/ErrorEnvelope"},
    {"$ref": "#/components/schemas/AtelierError"},
)
CHECKED: dict[str, int] = {}


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _fill(path: str, op: dict[str, Any]) -> str:
    """The path with ids that name nothing (integers where the schema wants them)."""
    kinds = {
        p["name"]: p.get("schema", {}).get("type")
        for p in op.get("parameters", [])
        if p["in"] == "path"
    }
    return re.sub(
        r"\{([^}:]+)(:[^}]*)?\}",
        lambda m: "987654" if kinds.get(m.group(1)) == "integer" else "nothing_here_42",
        path,
    )


def _template(path: str) -> str:
    def part(m: re.Match[str]) -> str:
        return ".*" if (m.group(2) or "").startswith(":path") else "[^/]+"

    pieces = re.split(r"(\{[^}]+\})", path)
    return "".join(
        part(re.match(r"\{([^}:]+)(:[^}]*)?\}", p)) if p.startswith("{") else re.escape(p)  # type: ignore[arg-type]
        for p in pieces
    )


def _documented(op: dict[str, Any], r: httpx.Response, what: str, wrong: list[str]) -> None:
    if str(r.status_code) not in op["responses"]:
        wrong.append(
            f"{what}: {r.status_code} is not documented "
            f"(documented: {sorted(op['responses'])}); body {r.text[:150]}"
        )
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        body = r.json()
        error = body.get("error")
        if isinstance(error, str):  # the Atelier-compatible shape (/api/atelier)
            error = body
        if not isinstance(error, dict) or not error.get("request_id"):
            wrong.append(f"{what}: not the envelope with a request id: {r.text[:150]}")


def test_every_error_response_is_the_envelope(openapi: dict[str, Any]) -> None:
    codes = 0
    for path, method, op in _operations(openapi):
        for status, response in op["responses"].items():
            if not status.isdigit() or int(status) < 400:
                continue
            content = response["content"]
            if "application/json" not in content:
                assert content, (method, path, status)  # e.g. /login's HTML page
                continue
            schema = content["application/json"]["schema"]
            assert schema in SHAPES, (method, path, status, schema)
            assert (schema == SHAPES[1]) == path.startswith("/api/atelier/"), path
            codes += 1
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    assert codes > 600, codes  # error codes documented across the operations
    print(f"\n{codes} error responses documented over {len(_operations(openapi))} operations")


@pytest.mark.slow
async def test_what_an_outsider_gets_is_documented(
    client: httpx.AsyncClient, openapi: dict[str, Any]
) -> None:
    wrong: list[str] = []
    took: dict[str, float] = {}
    anonymous = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    for path, method, op in _operations(openapi):
        url = _fill(path, op)
        label = f"{method.upper()} {path}"
        kwargs: dict[str, Any] = {}
        if "requestBody" in op and "application/json" in op["requestBody"].get("content", {}):
            kwargs["json"] = {}
        started = time.perf_counter()
        r = await anonymous.request(method, url, **kwargs)
        _documented(op, r, f"{label} without a key", wrong)
        if "{" in path:
            r = await client.request(method, url, **kwargs)
            _documented(op, r, f"{label} with ids that name nothing", wrong)
        if path.startswith("/v1/"):
            r = await client.request(method, url, params={"zz_unknown": "1"}, **kwargs)
            _documented(op, r, f"{label} with an unknown query parameter", wrong)
        CHECKED["operations"] = CHECKED.get("operations", 0) + 1
        took[label] = time.perf_counter() - started
    await anonymous.aclose()
    print(sorted(took.items(), key=lambda kv: -kv[1])[:5])
    assert not wrong, "\n".join(wrong)
    assert CHECKED["operations"] > 150


@pytest.mark.slow
async def test_a_405_lists_every_method_of_the_path(
    client: httpx.AsyncClient, openapi: dict[str, Any]
) -> None:
    shared = 0
    for path, item in openapi["paths"].items():
        ops = {m.upper() for m in item if m in METHODS}
        missing = [m.upper() for m in METHODS if m.upper() not in ops]
        if not missing:
            continue
        url = _fill(path, next(iter(item.values())))
        r = await client.request(missing[0], url)
        if r.status_code == 404 and "{" not in path:
            raise AssertionError(f"{missing[0]} {path}: 404, not 405")
        if r.status_code != 405:
            continue  # a wider route on the same prefix took the request ({id:path})
        # Every operation whose template matches this URL answers it (a {source_id} route
        # takes /v1/sources/installed too).
        expected = {
            m.upper()
            for other, other_item in openapi["paths"].items()
            if re.fullmatch(_template(other), url)
            for m in other_item
            if m in METHODS
        }
        expected |= {"HEAD"} if "GET" in expected else set()
        allow = {m.strip() for m in r.headers["allow"].split(",")}
        assert allow == expected, (path, allow, expected)
        assert r.json()["error"]["request_id"]
        shared += len(ops) > 1
    assert shared > 20  # paths with several operations, where Starlette named only one
