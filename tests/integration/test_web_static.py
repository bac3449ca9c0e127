"""The built studio at ``/``: hashed assets immutable, index.html revalidated, the SPA
fallback (never over the API's paths), gzip/brotli, and a note when nothing is built."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelforge.app import api_app, open_container
from tests.conftest import make_settings

INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js">'
INDEX += "</script></head><body><div id=root></div></body></html>"
SCRIPT = "export const studio = 'ReelForge';\n" * 200  # big enough to be compressed


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    folder = tmp_path / "web_dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(INDEX)
    (folder / "assets" / "index-abc123.js").write_text(SCRIPT)
    (folder / "assets" / "style-def456.css").write_text("body{margin:0}")
    (folder / "assets" / "style-def456.css.br").write_bytes(b"pretend-brotli")
    (folder / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("outside the bundle")
    return folder


async def studio_client(home: Path, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(home, web_dist=dist)
    async with open_container(settings) as container:
        transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
async def web(tmp_path: Path, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in studio_client(tmp_path / "home", dist):
        yield c


PAGE = {"Accept": "text/html,application/xhtml+xml", "Accept-Encoding": "identity"}


async def test_pages_get_index_html_that_is_always_revalidated(web: httpx.AsyncClient) -> None:
    for path in ("/", "/setup", "/studio", "/studio/canvas/ppl_1", "/history?status=failed"):
        r = await web.get(path, headers=PAGE)
        assert r.status_code == 200, path
        assert r.text == INDEX and r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"
        assert r.headers["x-content-type-options"] == "nosniff"
    again = await web.get("/", headers={**PAGE, "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_hashed_assets_are_immutable_and_missing_files_404(web: httpx.AsyncClient) -> None:
    r = await web.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.text == SCRIPT
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    icon = await web.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["cache-control"] == "no-cache"
    for missing in ("/assets/gone-000.js", "/robots.txt", "/../secret.txt", "/%2e%2e/secret.txt"):
        r = await web.get(missing, headers=PAGE)
        assert r.status_code == 404, missing
        assert "outside the bundle" not in r.text


async def test_gzip_on_the_fly_and_precompressed_brotli(web: httpx.AsyncClient) -> None:
    r = await web.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.headers["vary"] == "Accept-Encoding"
    assert r.text == SCRIPT  # httpx decoded it
    raw = await web.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert int(raw.headers["content-length"]) < len(SCRIPT) // 5
    br = await web.send(
        web.build_request("GET", "/assets/style-def456.css", headers={"Accept-Encoding": "br"}),
        stream=True,
    )
    assert br.headers["content-encoding"] == "br"
    assert b"".join([chunk async for chunk in br.aiter_raw()]) == b"pretend-brotli"
    await br.aclose()
    plain = await web.get("/assets/style-def456.css", headers={"Accept-Encoding": "identity"})
    assert plain.text == "body{margin:0}" and "content-encoding" not in plain.headers


async def test_api_paths_keep_their_json_errors(web: httpx.AsyncClient) -> None:
    for path in ("/v1/nothing-here", "/api/models", "/openai/v1/nothing", "/login/x", "/healthzz"):
        r = await web.get(path, headers=PAGE)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/json"), path
    r = await web.post("/studio", json={})
    assert r.status_code in (404, 405) and "error" in r.json()
    # A script asking for JSON under a page path is not handed the page either.
    assert (await web.get("/studio", headers={"Accept": "application/json"})).status_code == 404
    assert (await web.get("/healthz")).status_code == 200
    assert (await web.get("/openapi.json")).json()["info"]["title"] == "ReelForge"


async def test_without_a_bundle_pages_say_how_to_build_it(tmp_path: Path) -> None:
    async for web in studio_client(tmp_path / "home", tmp_path / "nothing"):
        for path in ("/", "/setup", "/studio"):
            r = await web.get(path, headers=PAGE)
            assert r.status_code == 200, path
            assert "npm run build" in r.text and "scripts/serve" in r.text
