"""SSRF and traversal (issue 25): every field that takes a URL or a file name, fed the
usual list (tests.security.hostile), checked at the socket level — tests.security.netspy
records every lookup and connection attempt and lets none through.

Defect 3: a member stored a ComfyUI credential URL and made the server connect to
loopback (names resolving to 127.0.0.1 included). Defect 6: non-http schemes given as
callback URLs are refused before any lookup.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from reelforge.container import Container
from reelforge.domain.errors import ReelForgeError
from reelforge.domain.identity import Role
from reelforge.storage.engine_urls import EngineUrlPolicy
from tests.security import hostile
from tests.security.conftest import new_key
from tests.security.netspy import NetSpy, spy_network

REFUSED = (400, 403, 404, 409, 422)
CASES: dict[str, int] = {}  # figures: cases checked per field (printed at the end)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetSpy]:
    with spy_network(monkeypatch) as s:
        yield s


def _count(field: str, n: int = 1) -> None:
    CASES[field] = CASES.get(field, 0) + n


def _refused(r: httpx.Response, url: str) -> None:
    assert r.status_code in REFUSED, (url, r.status_code, r.text[:300])
    assert r.json()["error"]["request_id"]


# --- engine URLs (defect 3) -------------------------------------------------------------


async def test_a_member_cannot_point_an_engine_anywhere(
    member: httpx.AsyncClient, spy: NetSpy
) -> None:
    for url in hostile.ALL:
        r = await member.put("/v1/providers/comfyui/credential", json={"values": {"url": url}})
        _refused(r, url)
        assert r.json()["error"]["code"] in ("UNSAFE_URL", "VALIDATION_ERROR"), r.text
        r = await member.post("/v1/setup/providers/comfyui/connect", json={"values": {"url": url}})
        assert r.status_code == 403, r.text  # connecting engines is the operators' job
        _count("credential url (member)", 2)
    listing = (await member.get("/v1/providers")).json()["providers"]
    comfy = next(p for p in listing if p["name"] == "comfyui")
    assert comfy["credential_source"] != "stored", "nothing was stored"
    assert spy.connects == []


async def test_a_stored_engine_url_is_checked_again_when_used(
    member: httpx.AsyncClient, spy: NetSpy
) -> None:
    url = "http://engine.public.test:8188"
    r = await member.put("/v1/providers/comfyui/credential", json={"values": {"url": url}})
    assert r.status_code == 200, r.text  # a public engine is fine
    spy.names[".public.test"] = "127.0.0.1"  # the name now answers loopback (rebinding)
    r = await member.post("/v1/providers/comfyui/test")
    _refused(r, url)
    assert r.json()["error"]["code"] == "UNSAFE_URL"
    assert spy.connects == []
    _count("credential url at use")


async def test_the_owner_and_admins_may_use_a_local_engine_members_only_if_allowed(
    container: Container, spy: NetSpy
) -> None:
    policy = EngineUrlPolicy(container.db, container.fetcher, allow_private=False)
    admin_id, _ = await new_key(container, "admin", Role.ADMIN)
    member_id, _ = await new_key(container, "m2")
    for url in ("http://127.0.0.1:8188", "http://lan.private.test:8188"):
        await policy.check(url, admin_id)
        await policy.check(url, None)  # the owner's environment (COMFYUI_URL)
        with pytest.raises(ReelForgeError) as refused:
            await policy.check(url, member_id)
        assert refused.value.code == "UNSAFE_URL"
        open_policy = EngineUrlPolicy(container.db, container.fetcher, allow_private=True)
        await open_policy.check(url, member_id)  # REELFORGE_ALLOW_PRIVATE_ENGINES
        _count("engine url policy", 4)
    for url in hostile.METADATA + hostile.SCHEMES + hostile.CREDENTIALS[:2]:
        with pytest.raises(ReelForgeError):  # never, for anyone
            await policy.check(url, admin_id)
        _count("engine url policy")
    assert spy.connects == []


# --- callback URLs (defect 6) -----------------------------------------------------------


async def test_callback_urls(client: httpx.AsyncClient, spy: NetSpy) -> None:
    bodies = {
        "/v1/generations": {"model": "pollinations/flux", "prompt": "a cat"},
        "/v1/runs": {
            "pipeline": {
                "nodes": [{"id": "gen", "model": "pollinations/flux", "prompt": "a cat"}],
            }
        },
    }
    for path, body in bodies.items():
        for url in hostile.ALL:
            spy.clear()
            r = await client.post(path, json={**body, "callback_url": url})
            _refused(r, url)
            if url in hostile.SCHEMES or url in hostile.CREDENTIALS:
                assert spy.lookups == [], f"{url}: looked up {spy.lookups} before refusing"
            assert spy.connects == []
            _count(f"{path} callback_url")


async def test_a_non_http_callback_is_refused_first(client: httpx.AsyncClient, spy: NetSpy) -> None:
    """Before planning (an unknown model here) and before any lookup."""
    for url in hostile.SCHEMES:
        body = {"model": "nobody/no-such-model", "prompt": "x", "callback_url": url}
        r = await client.post("/v1/generations", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "UNSAFE_URL", r.text
        _count("callback scheme first")
    assert spy.lookups == [] and spy.connects == []


# --- inputs fetched by the server (generation and pipeline inputs) ----------------------


def _redirector() -> Starlette:
    async def hop(request: Request) -> RedirectResponse:
        return RedirectResponse(request.query_params["to"], status_code=302)

    return Starlette(routes=[Route("/hop", hop)])


async def test_input_urls_and_redirects_to_each(container: Container, spy: NetSpy) -> None:
    fetcher = container.fetcher
    fetcher.add_internal_transport("hop.public.test", httpx.ASGITransport(app=_redirector()))
    for url in hostile.ALL:
        hop = "http://hop.public.test/hop?" + str(httpx.QueryParams({"to": url}))
        # (a redirect to "//host/x" is relative: the public host it names is fine)
        for target in (url,) if url.startswith("//") else (url, hop):
            async with container.artifacts.writer() as writer:
                with pytest.raises(ReelForgeError) as refused:
                    await fetcher.fetch_to(target, writer)
            assert refused.value.code == "UNSAFE_URL", (target, refused.value)
            _count("input url (fetch, redirect)")
    assert spy.connects == []


async def test_a_run_with_an_input_url_never_connects(
    run_client: httpx.AsyncClient, spy: NetSpy
) -> None:
    for url in [*hostile.ADDRESSES[::3], *hostile.SCHEMES[:2], hostile.CREDENTIALS[0]]:
        body = {
            "model": "local/denoise",
            "prompt": "clean it",
            "inputs": [{"url": url, "kind": "image"}],
        }
        r = await run_client.post("/v1/generations", json=body, headers={"Prefer": "wait=20"})
        assert r.status_code < 500, r.text
        if r.status_code < 300:  # accepted: executing it refused the URL
            run = r.json()
            assert run["status"] == "failed", (url, run["status"])
            assert run["error"]["code"] == "UNSAFE_URL", (url, run["error"])
        else:
            _refused(r, url)
        _count("generation input url (run)")
    assert spy.connects == []


# --- model sources ----------------------------------------------------------------------


def _source(url: str, filename: str = "m.safetensors") -> dict[str, Any]:
    return {
        "name": "mine",
        "type": "checkpoint",
        "url": url,
        "filename": filename,
        "license": "MIT",
        "acknowledge_missing_checksum": True,
    }


async def test_model_source_urls(
    client: httpx.AsyncClient, member: httpx.AsyncClient, spy: NetSpy
) -> None:
    for url in hostile.ALL:
        r = await member.post("/v1/sources", json=_source(url))
        if r.status_code == 201:  # a name: checked in full when downloaded, by the owner
            assert url in hostile.NAMES, url
            sid = r.json()["id"]
            got = await client.post(f"/v1/sources/{sid}/download", json={})
            assert got.status_code in (202, 404, *REFUSED), got.text
        else:
            _refused(r, url)
        _count("model source url")
    assert spy.connects == []


# --- file names (traversal) -------------------------------------------------------------

TRAVERSAL = [
    "../../../../tmp/rf-pwned.png",
    "..\\..\\..\\rf-pwned.png",
    "/etc/rf-pwned.png",
    "C:\\Windows\\rf-pwned.png",
    "a/../../rf-pwned.png",
    "%2e%2e%2frf-pwned.png",
    "rf-pwned.png\x00.txt",
    "\u202erf-pwned.png",
]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


async def test_upload_and_source_file_names(
    client: httpx.AsyncClient, container: Container, tmp_path: Path
) -> None:
    before = {p for p in tmp_path.parent.rglob("rf-pwned*")}
    for name in TRAVERSAL:
        r = await client.post("/v1/uploads", files={"file": (name, _png(), "image/png")})
        assert r.status_code in (201, *REFUSED), r.text
        if r.status_code == 201:
            content = await client.get(f"/v1/artifacts/{r.json()['id']}/content")
            assert "/" not in content.headers["content-disposition"].split("filename=")[1]
        s = await client.post("/v1/sources", json=_source("https://cdn.public.test/m", name))
        assert s.status_code == 422, (name, s.text)
        _count("file name (upload, source)", 2)
    assert {p for p in tmp_path.parent.rglob("rf-pwned*")} == before
    assert not Path("/tmp/rf-pwned.png").exists()


# --- every URL-like field the OpenAPI document shows ------------------------------------

URLISH = ("url", "uri", "href", "webhook", "callback", "endpoint")


def _url_fields(openapi: dict[str, Any]) -> list[tuple[str, str, str]]:
    schemas = openapi.get("components", {}).get("schemas", {})
    found = []
    for path, item in openapi["paths"].items():
        for method, op in item.items():
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            schema = content["schema"]
            ref = schema.get("$ref", "")
            schema = schemas.get(ref.rsplit("/", 1)[-1], schema)
            for prop in schema.get("properties", {}):
                if any(word in prop.lower() for word in URLISH):
                    found.append((method, path, prop))
    return found


async def test_every_url_field_in_the_openapi(
    client: httpx.AsyncClient, app: FastAPI, spy: NetSpy
) -> None:
    fields = _url_fields(app.openapi())
    assert ("post", "/v1/sources", "url") in fields
    for method, path, prop in fields:
        concrete = path.replace("{", "").replace("}", "")
        for url in hostile.ALL:
            r = await client.request(method, concrete, json={prop: url})
            assert r.status_code < 500, (method, path, prop, url, r.text[:200])
            _count("openapi url fields")
    assert spy.connects == []


def test_zz_figures() -> None:
    """Prints the figures of this file's run (pytest -s shows them)."""
    total = sum(CASES.values())
    print(f"\nSSRF/traversal cases: {total} " + ", ".join(f"{k}={v}" for k, v in CASES.items()))
    assert total > 0 or not CASES
