"""Tenancy (issue 25), generated from the OpenAPI document: for every operation whose path
names an object (a run, an artifact, a pipeline, a character, a key, an order, a market
agent or service, an asset workspace…), a second user's key gets 404 and changes nothing;
every admin operation refuses a member (403).

User A makes real objects first, so the ids are real. Path parameters that name shared
catalogues (models, presets, asset modes, market posts, series) are not A's objects and are
listed as such; an operation is skipped only when its path names no object A owns.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from reelforge.api import deps
from reelforge.api.openapi_doc import _calls, api_routes
from reelforge.container import Container
from tests.helpers import png_bytes
from tests.security.conftest import asgi_client, new_key

METHODS = ("get", "put", "post", "delete", "patch")
GROK_IMAGE = "svc_atelier_grok_grok_2_image"
# Path parameters that name what everybody shares (not checked for tenancy here).
SHARED = {"model_id", "preset_id", "mode", "post_id", "index", "category", "engine", "what"}
# A's objects that are public by design (a market agent's profile and services are the
# catalogue): B may read them, but every write is refused (403, or 404).
PUBLIC = {"agent_id", "service_id"}


def _pipeline() -> dict[str, Any]:
    return {"nodes": [{"id": "still", "model": "fal/flux-dev", "prompt": "a harbour"}]}


async def _fund(owner: httpx.AsyncClient, user_id: str) -> None:
    r = await owner.post(
        "/v1/credits/topups",
        json={
            "user_id": user_id,
            "amount_micros": 50_000_000,
            "reason": "tenancy test",
            "idempotency_key": uuid.uuid4().hex,
        },
    )
    assert r.status_code in (200, 201), r.text


async def _make_objects(a: httpx.AsyncClient) -> dict[str, str]:
    """A's objects, by the path parameter name that addresses them."""
    ids: dict[str, str] = {}

    async def made(r: httpx.Response, name: str, key: str = "id") -> dict[str, Any]:
        assert r.status_code in (200, 201, 202), (name, r.status_code, r.text[:300])
        body: dict[str, Any] = r.json()
        ids[name] = str(body[key])
        return body

    await made(await a.post("/v1/uploads", files={"file": ("a.png", png_bytes())}), "artifact_id")
    await made(
        await a.post("/v1/generations", json={"model": "fal/flux-dev", "prompt": "a red fox"}),
        "run_id",
    )
    await made(
        await a.post("/v1/pipelines", json={"name": "Harbour", "document": _pipeline()}),
        "pipeline_id",
    )
    ids["number"] = "1"
    await made(
        await a.post(
            "/v1/characters", json={"name": "Ava", "reference_images": [ids["artifact_id"]]}
        ),
        "character_id",
    )
    await made(await a.post("/v1/me/keys", json={"label": "second"}), "key_id")
    r = await a.put("/v1/providers/fal/credential", json={"values": {"api_key": "fal-a-key-1"}})
    assert r.status_code == 200, r.text
    ids["name"] = "fal"
    order = await a.post("/v1/market/orders", json={"service_id": GROK_IMAGE, "brief": "a fox"})
    await made(order, "order_id")
    agent = await made(
        await a.post("/v1/market/agents", json={"name": "A's agent"}),
        "agent_id",
    )
    service = await a.post(
        f"/v1/market/agents/{agent['id']}/services",
        json={"title": "Foxes", "category": "image_gen", "price_micros": 1000},
    )
    await made(service, "service_id")
    await made(
        await a.post("/v1/assets/workspaces", json={"mode": "pixel", "name": "mine"}),
        "workspace_id",
    )
    batch = await made(
        await a.post("/v1/assets/generate", json={"mode": "pixel", "prompt": "a fox", "wait": 0}),
        "batch_id",
    )
    ids["job_id"] = batch["jobs"][0]["id"]
    await made(await a.post("/v1/assets/uiux/generate", json={"prompt": "a login form"}), "code_id")
    return ids


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _names(path: str) -> list[str]:
    return [m.split(":")[0] for m in re.findall(r"\{([^}]+)\}", path)]


def _url(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: ids[m.group(1)], path)


def _body(path: str, method: str, ids: dict[str, str]) -> dict[str, Any] | None:
    """A body A could send, so B's answer is about ownership, not validation."""
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("put", "/v1/pipelines/{pipeline_id}"): {"document": _pipeline(), "version": 1},
        ("patch", "/v1/characters/{character_id}"): {"name": "Bob's now"},
        ("post", "/v1/market/orders/{order_id}/deliver"): {"artifact_ids": [ids["artifact_id"]]},
        ("post", "/v1/market/agents/{agent_id}/services"): {
            "title": "B's",
            "category": "image_gen",
            "price_micros": 1,
        },
        ("patch", "/v1/market/services/{service_id}"): {"price_micros": 1},
        ("patch", "/v1/assets/workspaces/{workspace_id}"): {"name": "B's now"},
    }
    for (verb, template), body in bodies.items():
        if verb == method and re.sub("^/api/atelier/", "/v1/market/", path) == template:
            return body
    return None


async def _snapshot(
    a: httpx.AsyncClient, openapi: dict[str, Any], ids: dict[str, str]
) -> dict[str, Any]:
    """What A reads of their objects (every GET over them, and their lists)."""
    out: dict[str, Any] = {}
    for path, method, _op in _operations(openapi):
        names = _names(path)
        if method != "get" or path.endswith(("/events", "/content", "/thumbnail")):
            continue
        if names and not all(n in ids for n in names):
            continue
        if not names and not path.startswith(("/v1/me", "/v1/providers", "/v1/pipelines")):
            continue
        r = await a.get(_url(path, ids))
        out[path] = (r.status_code, r.text if r.status_code == 200 else "")
    return out


@pytest.mark.slow
async def test_a_second_user_gets_404_and_changes_nothing(
    container: Container, client: httpx.AsyncClient, app: FastAPI, openapi: dict[str, Any]
) -> None:
    a_id, a_key = await new_key(container, "alice")
    b_id, b_key = await new_key(container, "bob")
    for user in (a_id, b_id):
        await _fund(client, user)
    async with asgi_client(app, a_key) as a, asgi_client(app, b_key) as b:
        ids = await _make_objects(a)
        before = await _snapshot(a, openapi, ids)
        wrong: list[str] = []
        checked = skipped = 0
        unmade: set[str] = set()
        for path, method, _op in _operations(openapi):
            names = _names(path)
            if not names or any(n in SHARED for n in names) or path.startswith("/v1/users/"):
                continue
            if not all(n in ids for n in names):
                skipped += 1
                unmade.update(n for n in names if n not in ids)
                continue
            r = await b.request(method, _url(path, ids), json=_body(path, method, ids))
            checked += 1
            if names == ["name"]:  # /v1/providers/{name}: each user has their own
                assert r.status_code < 500, (method, path, r.text)
                continue
            if any(n in PUBLIC for n in names):
                if r.status_code not in ((200, 403, 404) if method == "get" else (403, 404)):
                    wrong.append(f"{method.upper()} {path} (public): {r.status_code}")
                continue
            if r.status_code != 404:
                wrong.append(f"{method.upper()} {path}: {r.status_code} {r.text[:200]}")
        after = await _snapshot(a, openapi, ids)
    print(f"\ntenancy: {checked} operations checked with real ids, {skipped} without an object")
    print(f"  no object made for: {', '.join(sorted(unmade))}")
    assert not wrong, "\n".join(wrong)
    changed = [p for p in before if before[p] != after[p]]
    assert not changed, changed
    assert checked >= 30 and len(before) >= 15


async def test_every_admin_operation_refuses_a_member(
    member: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = []
    for route in api_routes(app):
        if deps.require_admin in _calls(route) and route.include_in_schema:
            for method in route.methods:
                admin.append((method, route.path_format))
    wrong = []
    for method, path in admin:
        url = re.sub(r"\{([^}:]+)(:[^}]*)?\}", "usr_nobody", path)
        r = await member.request(method, url, json={} if method != "GET" else None)
        if r.status_code != 403:
            wrong.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
    print(f"\nadmin operations refused to a member: {len(admin) - len(wrong)} of {len(admin)}")
    assert len(admin) >= 15
    assert not wrong, "\n".join(wrong)
