"""Tenancy (issue 25), generated from the OpenAPI document: for every operation whose path
names an object (a run, an artifact, a pipeline, a character, a key, an order, a market
agent or service, an asset workspace…), a second user's key gets 404 and changes nothing;
every admin operation refuses a member (403).

User A makes real objects first, through the public API (tests/security/tenancy_objects.py),
so every id is real: runs, pipelines, keys, a delivered order and its post, market agents and
services, asset workspaces, batches, jobs, gallery entries, exports, a top-up payment, UI/UX
code with its preview, a model source, and on the series platform a studio, a draft script,
an audio series and a produced pilot (its closed voting period, video series and clip
variants). The embedded runner is started, so these are finished objects, and A's reads are
taken once they have settled. Path parameters that name what everybody shares are listed in
SHARED with the reason; objects public by design in PUBLIC; a refusal other than 404 in
REFUSALS. The test fails if an operation names a parameter that is neither made nor listed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from reelforge.api import deps
from reelforge.api.openapi_doc import _calls, api_routes
from reelforge.app import open_container
from reelforge.apps.assets import uiux_code
from reelforge.container import Container
from reelforge.settings import Settings
from tests.helpers import png_bytes
from tests.security.conftest import asgi_client, new_key
from tests.security.tenancy_objects import make_objects, pipeline

METHODS = ("get", "put", "post", "delete", "patch")
# Path parameters that name what everybody shares, not an object of A's (not checked here).
SHARED = {
    "model_id": "the model catalogue",
    "preset_id": "the preset catalogue",
    "mode": "the asset modes (their contracts and public galleries)",
    "category": "the genre categories of the series platform",
    "engine": "the local engines of the installation",
    "what": "series staking reads: a fixed word (status, earnings) of the caller's own account",
    "operation": "series staking writes: a fixed verb (stake, unstake, claim) on the caller's "
    "own custody account, never someone else's",
    "provider": "the asset studio's sign-in providers (OAuth configuration of the install)",
}
# A's objects that are public by design: a market agent's profile and services are the
# catalogue, an order's delivery is a post on the public feed; a series' voting period, series and clip variants are the platform's public
# pages, and anyone may tip-vote (x402: 402 until paid). B may read them; a write by B is
# refused (402 payment required, 403, 404, or 409 not tip-eligible yet) and changes nothing.
PUBLIC = {
    "agent_id",
    "service_id",
    "post_id",
    "period_id",
    "series_id",
    "limited_series_id",
    "clip_variant_id",
}
# Operations over A's private objects whose documented refusal is not 404, and why.
REFUSALS: dict[str, tuple[set[int], str]] = {
    "POST /v1/sources/{source_id}/download": (
        {403},
        "a download writes the installation's shared models folder: owner or admin only",
    ),
    # A studio is a public page (seed 003 Studios.get, listByStudio); A's draft is not in it
    # for B (checked below).
    "GET /api/v1/studios/{studio_id}": ({200}, "a studio is a public page"),
    "GET /api/v1/studios/{studio_id}/scripts": ({200}, "a studio's scripts are public"),
}


@pytest.fixture
async def container(settings: Settings) -> AsyncIterator[Container]:
    """The runner started: A's runs, batches, orders and series productions really finish."""
    async with open_container(settings, start_runner=True) as c:
        yield c


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
        ("put", "/v1/pipelines/{pipeline_id}"): {"document": pipeline(), "version": 1},
        ("patch", "/v1/characters/{character_id}"): {"name": "Bob's now"},
        ("post", "/v1/market/orders/{order_id}/deliver"): {"artifact_ids": [ids["artifact_id"]]},
        ("post", "/v1/market/agents/{agent_id}/services"): {
            "title": "B's",
            "category": "image_gen",
            "price_micros": 1,
        },
        ("patch", "/v1/market/services/{service_id}"): {"price_micros": 1},
        ("patch", "/v1/assets/workspaces/{workspace_id}"): {"name": "B's now"},
        ("patch", "/v1/assets/gallery/{entry_id}"): {"public": True},
        ("post", "/v1/assets/gallery/{entry_id}/import"): {"workspace_id": ids["workspace_id"]},
        ("post", "/v1/sources/{source_id}/download"): {"acknowledge_missing_checksum": True},
    }
    for (verb, template), body in bodies.items():
        if verb == method and re.sub("^/api/atelier/", "/v1/market/", path) == template:
            return body
    return None


# A's own lists (no path parameter), read before and after B's attempts.
MINE = (
    "/v1/me",
    "/v1/providers",
    "/v1/pipelines",
    "/v1/sources",
    "/v1/assets/credits",
    "/v1/assets/workspaces",
    "/api/v1/studios",
    "/api/v1/wallet",
)
MINE_QUERIES = [("/v1/assets/pixel/gallery", {"scope": "mine"})]


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
        if not names and not path.startswith(MINE):
            continue
        r = await a.get(_url(path, ids))
        out[path] = (r.status_code, r.text if r.status_code == 200 else "")
    for path, params in MINE_QUERIES:
        r = await a.get(path, params=params)
        out[f"{path}?{params}"] = (r.status_code, r.text)
    return out


async def _screenshot(_html: str, _width: int, _height: int, **_kw: object) -> bytes:
    return png_bytes()


def fake_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    """UI/UX previews are rendered in headless Chromium, which has nothing to do with who
    may read them: a fixed PNG stands in (and no browser is looked for), so A's code has a
    real preview artifact on a machine without Chromium too."""
    monkeypatch.setattr(uiux_code, "find_chromium", lambda _configured: "chromium")
    monkeypatch.setattr(uiux_code, "screenshot", _screenshot)


@pytest.mark.slow
async def test_a_second_user_gets_404_and_changes_nothing(
    container: Container,
    client: httpx.AsyncClient,
    app: FastAPI,
    openapi: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_preview(monkeypatch)
    a_id, a_key = await new_key(container, "alice")
    b_id, b_key = await new_key(container, "bob")
    for user in (a_id, b_id):
        await _fund(client, user)
    async with asgi_client(app, a_key) as a, asgi_client(app, b_key) as b:
        ids = await make_objects(a, b, client)
        before = await _snapshot(a, openapi, ids)
        wrong: list[str] = []
        checked, public = 0, 0
        shared: dict[str, int] = {}
        unmade: list[str] = []
        for path, method, _op in _operations(openapi):
            names = _names(path)
            op = f"{method.upper()} {path}"
            if not names or path.startswith("/v1/users/"):  # /v1/users: admin, below
                continue
            if over := [n for n in names if n in SHARED]:
                shared[over[0]] = shared.get(over[0], 0) + 1
                continue
            if not all(n in ids for n in names):
                unmade.append(op)
                continue
            r = await b.request(method, _url(path, ids), json=_body(path, method, ids))
            checked += 1
            if names == ["name"]:  # /v1/providers/{name}: each user has their own
                assert r.status_code < 500, (method, path, r.text)
                continue
            if any(n in PUBLIC for n in names):
                public += 1
                allowed = {200, 403, 404} if method == "get" else {402, 403, 404, 409}
            else:
                allowed = REFUSALS.get(op, ({404}, ""))[0]
            if r.status_code not in allowed:
                wrong.append(f"{op}: {r.status_code} {r.text[:200]}")
            if r.status_code == 200 and ids["script_id"] in r.text:
                wrong.append(f"{op}: B sees A's draft script")
        after = await _snapshot(a, openapi, ids)
    print(
        f"\ntenancy: {checked} operations checked with real ids ({public} over public-by-design"
        f" objects), {sum(shared.values())} over shared catalogues, {len(unmade)} without an"
        f" object; {len(before)} of A's reads compared before and after"
    )
    for name, count in sorted(shared.items()):
        print(f"  shared {{{name}}} x{count}: {SHARED[name]}")
    if unmade:
        print("  without an object: " + ", ".join(unmade))
    assert not wrong, "\n".join(wrong)
    # The author still sees their draft in their studio (B does not: checked above).
    assert ids["script_id"] in before["/api/v1/studios/{studio_id}"][1]
    assert ids["script_id"] in before["/api/v1/studios/{studio_id}/scripts"][1]
    changed = [p for p in before if before[p] != after[p]]
    assert not changed, [(p, before[p], after[p]) for p in changed]
    assert not unmade, f"make an object for these (or list their parameter in SHARED): {unmade}"
    assert checked >= 75 and len(before) >= 25


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
