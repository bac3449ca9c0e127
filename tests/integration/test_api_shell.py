"""The API shell: health, auth, the error envelope, request ids, metrics, docs."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from reelforge.api.app import create_app
from reelforge.container import Container


async def test_healthz_open_without_key(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"Authorization": ""})
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


async def test_me_requires_a_valid_key(client: httpx.AsyncClient) -> None:
    ok = await client.get("/v1/me")
    assert ok.status_code == 200 and ok.json()["role"] == "owner"
    missing = await client.get("/v1/me", headers={"Authorization": ""})
    wrong = await client.get("/v1/me", headers={"Authorization": "Bearer rf_wrong"})
    for r in (missing, wrong):
        assert r.status_code == 401
        err = r.json()["error"]
        assert err["code"] == "AUTH_FAILED"
        assert err["remediation"] and err["request_id"]


async def test_unknown_fields_are_contract_mismatch(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/me/api-keys", json={"label": "x", "colour": "red", "size": 3})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "CONTRACT_MISMATCH"
    assert sorted(err["detail"]["unknown_fields"]) == ["colour", "size"]
    assert "colour" in err["message"]


async def test_bad_type_is_validation_error(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/me/api-keys", json={"label": {"a": 1}})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"
    assert r.json()["error"]["detail"]["invalid_fields"][0]["field"] == "label"


async def test_new_key_shown_once_then_works_and_revokes(client: httpx.AsyncClient) -> None:
    created = (await client.post("/v1/me/api-keys", json={"label": "ci"})).json()
    key = created["key"]
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200
    assert all("key" not in k for k in me.json()["api_keys"])
    assert (await client.delete(f"/v1/me/api-keys/{created['id']}")).status_code == 204
    after = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert after.status_code == 401
    again = await client.delete(f"/v1/me/api-keys/{created['id']}")
    assert again.json()["error"]["code"] == "NOT_FOUND"


async def test_unknown_path_and_request_id(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/nothing-here", headers={"X-Request-ID": "abc-123"})
    assert r.status_code == 404
    assert r.headers["x-request-id"] == "abc-123"
    assert r.json()["error"] == {
        "code": "NOT_FOUND",
        "message": "No such endpoint.",
        "remediation": r.json()["error"]["remediation"],
        "detail": {},
        "retryable": False,
        "request_id": "abc-123",
    }


async def test_unexpected_exception_is_500_without_internals(container: Container) -> None:
    boom = APIRouter()

    @boom.get("/boom")
    async def _boom() -> None:
        raise RuntimeError("internal detail /srv/secret/path")

    app = create_app(container, extra_routers=[boom])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/boom")
    assert r.status_code == 500
    body = r.json()
    assert body["error"]["code"] == "INTERNAL_ERROR"
    assert "secret" not in r.text and "RuntimeError" not in r.text


async def test_metrics_and_openapi(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert (
        'reelforge_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text
    )
    spec = (await client.get("/openapi.json")).json()
    assert "/v1/me" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200


async def test_requests_are_counted_for_the_runner_to_give_way(
    client: httpx.AsyncClient, container: Container
) -> None:
    before = container.foreground.requests
    assert (await client.get("/healthz")).status_code == 200
    assert container.foreground.requests == before + 1
    assert container.foreground.in_flight == 0
