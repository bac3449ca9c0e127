"""The models and quotes API (catalog from the sandbox Atlas emulator, in process), and its
failure behaviour with a real emulator server on 127.0.0.1 that fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.catalog.catalog import Catalog
from reelforge.container import Container
from reelforge.emulators.atlas import create_app
from reelforge.providers import atlas_api
from tests.conftest import make_settings
from tests.helpers import serve_asgi

SEEDANCE = "atlas/bytedance/seedance-v1-pro-i2v-480p"


async def test_list_all_models(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/models")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == len(body["models"]) >= 235
    assert body["stale"] is False and body["unavailable"] == []
    first = body["models"][0]
    assert set(first) >= {"id", "provider", "label", "modes", "output_kind", "price", "live"}
    assert set(first["price"]) >= {"micros", "known", "basis", "display", "source", "as_of"}
    assert any(s["provider"] == "atlas" and s["models"] >= 235 for s in body["sources"])


async def test_list_needs_a_key(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/models", headers={"Authorization": ""})
    assert r.status_code == 401


async def test_filters_and_price_order(client: httpx.AsyncClient) -> None:
    i2v = (await client.get("/v1/models", params={"mode": "i2v"})).json()["models"]
    assert i2v and all("i2v" in m["modes"] for m in i2v)
    # Sorted by the price of one generation at default settings (per-second prices times
    # the default duration), unknown prices last.
    prices = [m["price"]["typical_micros"] for m in i2v if m["price"]["typical_micros"] is not None]
    assert prices == sorted(prices)
    unknown_seen = False
    for m in i2v:
        unknown_seen = unknown_seen or m["price"]["typical_micros"] is None
        assert m["price"]["typical_micros"] is None or not unknown_seen, "unknown prices come last"
    found = (await client.get("/v1/models", params={"q": "veo3.1", "mode": "t2v"})).json()
    assert [m["id"] for m in found["models"]] == [
        m["id"] for m in found["models"] if "veo3.1" in m["id"] and "t2v" in m["modes"]
    ]
    assert found["count"] == len(found["models"]) >= 2  # Atlas and Runway both list veo3.1
    none = (await client.get("/v1/models", params={"provider": "kling-nope"})).json()
    assert none["count"] == 0
    bad = await client.get("/v1/models", params={"mode": "x2y"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_model_with_slashes_and_its_schema(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/v1/models/{SEEDANCE}")
    assert r.status_code == 200
    model = r.json()
    assert model["id"] == SEEDANCE and model["modes"] == ["i2v"]
    assert model["provider_model"] == "bytedance/seedance-v1-pro-i2v-480p"
    assert model["inputs"] == [
        {
            "name": "image",
            "kind": "image",
            "required": True,
            "identity": False,
            "multiple": False,
            "min_items": None,
            "max_items": None,
        }
    ]
    params = {p["name"]: p for p in model["params"]}
    assert params["duration"]["enum"] == [5, 10] and params["image"]["media_kind"] == "image"
    assert "model" not in params and "enable_base64_output" not in params
    schema = (await client.get(f"/v1/models/{SEEDANCE}/schema")).json()
    assert schema["model"] == SEEDANCE
    assert [p["name"] for p in schema["params"]] == [p["name"] for p in model["params"]]
    assert schema["json_schema"]["required"][0] == "image"
    edit = (await client.get("/v1/models/atlas/google/nano-banana/edit/schema")).json()
    images = next(p for p in edit["params"] if p["name"] == "images")
    assert images["type"] == "array" and images["media_kind"] == "image"
    prompt = next(p for p in edit["params"] if p["name"] == "prompt")
    assert prompt["fills"] == "prompt", "the node's prompt fills it"
    slots = (await client.get("/v1/models/atlas/google/nano-banana/edit")).json()["inputs"]
    assert slots == [
        {
            "name": "images",
            "kind": "image",
            "required": True,
            "identity": False,
            "multiple": True,
            "min_items": 1,
            "max_items": 10,
        }
    ]


async def test_unknown_model_names_close_matches(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/models/atlas/google/nano-banana/edt")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "NOT_FOUND"
    assert "atlas/google/nano-banana/edit" in err["detail"]["close_matches"]
    assert "Did you mean" in err["message"]


IMAGE_URL = {"url": "https://example.com/still.png", "kind": "image"}


async def test_quotes(client: httpx.AsyncClient) -> None:
    models = {m["id"]: m for m in (await client.get("/v1/models")).json()["models"]}
    a, b = "atlas/google/imagen4", "atlas/google/veo3/image-to-video"
    cheap = "atlas/bytedance/seedance-v1-lite-i2v-480p"
    pipeline = {
        "nodes": [
            {"id": "img", "model": a, "prompt": "fox"},
            {
                "id": "vid",
                "model": cheap,
                "prompt": "the fox runs",
                "params": {"duration": 10},
                "fallbacks": [b],
            },
        ],
        "edges": [{"from": "img", "to": "vid"}],
    }
    r = await client.post("/v1/quotes", json={"pipeline": pipeline})
    assert r.status_code == 200, r.text
    body = r.json()
    price = {k: models[k]["price"]["micros"] for k in (a, b, cheap)}
    vid = body["nodes"][1]
    assert vid["id"] == "vid" and vid["micros"] == max(price[b], price[cheap])
    assert len(vid["options"]) == 2 and vid["implicit"] is False and vid["mode"] == "i2v"
    assert body["total"]["micros"] == price[a] + max(price[b], price[cheap])
    assert body["total"]["known"] is True and body["total"]["display"].startswith("$")
    assert body["warnings"] == []
    # The pipeline document itself is the same request.
    bare = await client.post("/v1/quotes", json=pipeline)
    assert bare.status_code == 200 and bare.json() == body


async def test_a_quote_shows_implicit_steps_and_warnings(client: httpx.AsyncClient) -> None:
    t2v, i2v = "atlas/google/veo3/text-to-video", "atlas/bytedance/seedance-v1-lite-i2v-480p"
    pipeline = {
        "nodes": [
            {"id": "clip", "model": t2v, "prompt": "waves"},
            {"id": "more", "model": i2v, "prompt": "and more waves"},
            {"id": "still", "model": "atlas/google/imagen4", "prompt": "a fox"},
        ],
        "edges": [{"from": "clip", "to": "more"}, {"from": "clip", "to": "still"}],
    }
    r = await client.post("/v1/quotes", json={"pipeline": pipeline})
    assert r.status_code == 200, r.text
    body = r.json()
    ids = [n["id"] for n in body["nodes"]]
    assert ids == ["clip", "more~image~last-frame", "more", "still"]
    helper = body["nodes"][1]
    assert helper["implicit"] is True and helper["model"] == "local/last-frame"
    assert helper["micros"] == 0 and helper["known"] is True
    assert body["warnings"] == ["still: Text→Image ignores incoming media (the edge from 'clip')"]
    assert body["nodes"][3]["warnings"] == [
        "Text→Image ignores incoming media (the edge from 'clip')"
    ]


async def test_quote_with_an_unknown_price(client: httpx.AsyncClient) -> None:
    node = {
        "id": "edit",
        "model": "atlas/decart/lucy-edit-dev",
        "prompt": "make it night",
        "inputs": [{"url": "https://example.com/clip.mp4", "kind": "video"}],
    }
    r = await client.post("/v1/quotes", json={"nodes": [node]})
    body = r.json()
    assert r.status_code == 200, r.text
    assert body["nodes"][0]["display"] == "unknown" and body["total"]["known"] is False
    assert body["total"]["display"] == "unknown"


@pytest.mark.parametrize(
    ("node", "status", "code"),
    [
        ({"model": SEEDANCE, "params": {"duraton": 5}}, 422, "CONTRACT_MISMATCH"),
        ({"model": SEEDANCE, "params": {"duration": 7}}, 422, "VALIDATION_ERROR"),
        ({"model": "atlas/nope/nothing"}, 404, "NOT_FOUND"),
        ({"model": SEEDANCE, "fallbacks": [{"model": "atlas/nope"}]}, 404, "NOT_FOUND"),
        ({"model": SEEDANCE, "colour": "red"}, 422, "CONTRACT_MISMATCH"),
    ],
)
async def test_quote_errors(
    client: httpx.AsyncClient, node: dict[str, Any], status: int, code: str
) -> None:
    doc = {"id": "n1", "prompt": "a fox", "inputs": [IMAGE_URL], **node}
    r = await client.post("/v1/quotes", json={"nodes": [doc]})
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    if code == "CONTRACT_MISMATCH" and "params" in node:
        problem = err["detail"]["problems"][0]
        assert problem["node"] == "n1" and "duration" in problem["detail"]["allowed"]


async def test_a_quote_validates_as_a_run_does(client: httpx.AsyncClient) -> None:
    # A text-to-image node without a prompt is refused at validation, naming the field.
    r = await client.post(
        "/v1/quotes", json={"nodes": [{"id": "a", "model": "atlas/google/imagen4"}]}
    )
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "VALIDATION_ERROR"
    assert err["detail"]["problems"][0]["field"] == "prompt"
    # The old node form without ids is not a pipeline document.
    r = await client.post("/v1/quotes", json={"nodes": [{"model": "atlas/google/imagen4"}]})
    assert r.status_code == 422 and "id" in r.text


async def test_empty_quote_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/quotes", json={"nodes": []})
    assert r.status_code == 422


# --- failure behaviour over real HTTP ---------------------------------------------------


async def test_502_without_a_catalog_then_stale_after_one(tmp_path: Path) -> None:
    emulator = create_app()
    state = emulator.state.emulator
    state.faults.add("server_error", on="models", times=-1)
    atlas_api.clear_caches()
    with serve_asgi(emulator) as url:
        settings = make_settings(tmp_path / "home", provider_base_urls={"atlas": url})
        async with open_container(settings) as container:
            key = container.settings.owner_key_path.read_text().strip()
            catalog = catalog_of(container)
            transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://t", headers={"Authorization": f"Bearer {key}"}
            ) as api:
                r = await api.get("/v1/models", params={"provider": "atlas"})
                assert r.status_code == 502
                err = r.json()["error"]
                assert err["code"] == "CATALOG_UNAVAILABLE" and err["retryable"] is True
                assert int(r.headers["Retry-After"]) >= 1 and "Try again" in err["remediation"][0]
                one = await api.get(f"/v1/models/{SEEDANCE}")
                assert one.status_code == 502
                everything = (await api.get("/v1/models")).json()
                assert everything["unavailable"] == ["atlas"]

                state.faults.clear()
                catalog.retry_seconds = 0
                ok = (await api.get("/v1/models", params={"provider": "atlas"})).json()
                assert ok["count"] >= 235 and ok["stale"] is False

                state.faults.add("server_error", on="models", times=-1)
                await catalog.refresh(force=True)
                stale = (await api.get("/v1/models", params={"mode": "t2v"})).json()
                assert stale["stale"] is True and stale["count"] > 0
                assert (await api.get(f"/v1/models/{SEEDANCE}")).status_code == 200


def catalog_of(container: Container) -> Catalog:
    catalog = container.catalog
    assert isinstance(catalog, Catalog)
    return catalog
