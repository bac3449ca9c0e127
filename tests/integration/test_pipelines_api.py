"""Saved pipelines: create, list (pages), get, update (versions, 409 on a stale version),
delete, versions; owner-scoped (another user's id is 404); a document that could not run
is refused with nothing written; the studio's ``layout`` is kept."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from typer.testing import CliRunner

from reelforge.app import api_app
from reelforge.container import Container
from reelforge.storage.web_tables import SavedPipelineRow, SavedPipelineVersionRow
from tests.helpers import serve_in_loop
from tests.integration.test_users_api import bearer, key_for, make_user


def document(prompt: str = "a lighthouse at dusk") -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "still", "model": "fal/flux-dev", "prompt": prompt},
            {"id": "motion", "model": "fal/wan-i2v", "prompt": "waves roll in"},
        ],
        "edges": [{"from": "still", "to": "motion"}],
        "layout": {"still": {"x": 40, "y": 80}, "motion": {"x": 360, "y": 80}, "zoom": 1.25},
    }


async def counts(container: Container) -> tuple[int, int]:
    async with container.db.session() as session:
        pipelines = (await session.execute(select(func.count(SavedPipelineRow.id)))).scalar_one()
        versions = (
            await session.execute(select(func.count()).select_from(SavedPipelineVersionRow))
        ).scalar_one()
    return int(pipelines), int(versions)


async def test_create_get_update_versions_and_delete(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/pipelines", json={"name": "Harbour", "document": document()})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["id"].startswith("ppl_") and made["version"] == 1 and made["name"] == "Harbour"
    assert made["document"] == document()  # as sent: layout kept, no defaults added
    assert made["created_at"] == made["updated_at"]
    pid = made["id"]
    assert (await client.get(f"/v1/pipelines/{pid}")).json() == made

    changed = document("a lighthouse in fog")
    r = await client.put(f"/v1/pipelines/{pid}", json={"document": changed, "version": 1})
    assert r.status_code == 200, r.text
    v2 = r.json()
    assert v2["version"] == 2 and v2["name"] == "Harbour" and v2["document"] == changed
    # A second save on top of version 1 is stale: refused, nothing changes.
    stale = await client.put(
        f"/v1/pipelines/{pid}", json={"name": "Mine", "document": document("x"), "version": 1}
    )
    assert stale.status_code == 409, stale.text
    error = stale.json()["error"]
    assert error["code"] == "VERSION_CONFLICT" and error["detail"]["current_version"] == 2
    assert error["remediation"]
    r = await client.put(
        f"/v1/pipelines/{pid}", json={"name": "Harbour II", "document": changed, "version": 2}
    )
    assert r.json()["version"] == 3 and r.json()["name"] == "Harbour II"

    versions = (await client.get(f"/v1/pipelines/{pid}/versions")).json()
    assert versions["total"] == 3 and [v["version"] for v in versions["versions"]] == [3, 2, 1]
    assert versions["versions"][0]["node_count"] == 2
    first = (await client.get(f"/v1/pipelines/{pid}/versions/1")).json()
    assert first["document"] == document() and first["name"] == "Harbour"
    assert (await client.get(f"/v1/pipelines/{pid}/versions/9")).status_code == 404
    page = (await client.get(f"/v1/pipelines/{pid}/versions?limit=2")).json()
    assert page["next_before"] == 2
    rest = (await client.get(f"/v1/pipelines/{pid}/versions?limit=2&before=2")).json()
    assert [v["version"] for v in rest["versions"]] == [1]

    assert (await client.delete(f"/v1/pipelines/{pid}")).status_code == 204
    assert (await client.get(f"/v1/pipelines/{pid}")).status_code == 404
    assert (await client.get(f"/v1/pipelines/{pid}/versions")).status_code == 404


async def test_list_is_paged_newest_first(client: httpx.AsyncClient) -> None:
    ids = []
    for n in range(3):
        r = await client.post("/v1/pipelines", json={"name": f"p{n}", "document": document()})
        ids.append(r.json()["id"])
    page = (await client.get("/v1/pipelines?limit=2")).json()
    assert [p["id"] for p in page["pipelines"]] == [ids[2], ids[1]]
    assert page["pipelines"][0]["node_count"] == 2 and "document" not in page["pipelines"][0]
    rest = (await client.get(f"/v1/pipelines?limit=2&before={page['next_before']}")).json()
    assert [p["id"] for p in rest["pipelines"]] == [ids[0]] and rest["next_before"] is None


async def test_another_users_pipeline_is_not_found(
    client: httpx.AsyncClient, container: Container
) -> None:
    pid = (await client.post("/v1/pipelines", json={"document": document()})).json()["id"]
    member = await make_user(client, name="Nosy")
    other = bearer(await key_for(client, member["id"]))
    for method, path, body in [
        ("GET", f"/v1/pipelines/{pid}", None),
        ("PUT", f"/v1/pipelines/{pid}", {"document": document("mine"), "version": 1}),
        ("DELETE", f"/v1/pipelines/{pid}", None),
        ("GET", f"/v1/pipelines/{pid}/versions", None),
        ("GET", f"/v1/pipelines/{pid}/versions/1", None),
    ]:
        r = await client.request(method, path, json=body, headers=other)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error"]["code"] == "NOT_FOUND"
    assert (await client.get("/v1/pipelines", headers=other)).json()["pipelines"] == []
    owner_view = (await client.get(f"/v1/pipelines/{pid}")).json()
    assert owner_view["version"] == 1 and owner_view["document"] == document()


async def test_documents_that_could_not_run_are_refused_with_nothing_written(
    client: httpx.AsyncClient, container: Container
) -> None:
    unknown_model = document()
    unknown_model["nodes"][0]["model"] = "fal/flux-dve"
    dangling = document()
    dangling["edges"] = [{"from": "still", "to": "nowhere"}]
    cycle = document()
    cycle["edges"].append({"from": "motion", "to": "still"})
    extra = document()
    extra["nodes"][0]["colour"] = "red"
    no_nodes = {"nodes": []}
    for bad in (unknown_model, dangling, cycle, extra, no_nodes):
        r = await client.post("/v1/pipelines", json={"name": "bad", "document": bad})
        assert r.status_code in (404, 422), r.text
        error = r.json()["error"]
        assert error["code"] in ("NOT_FOUND", "VALIDATION_ERROR", "CONTRACT_MISMATCH"), error
        assert error["message"] and error["remediation"]
        # The same document is refused by POST /v1/quotes (the run's planning) too.
        bad_run = {k: v for k, v in bad.items() if k != "layout"}
        assert (await client.post("/v1/quotes", json=bad_run)).status_code >= 400
    assert await counts(container) == (0, 0)

    pid = (await client.post("/v1/pipelines", json={"document": document()})).json()["id"]
    r = await client.put(f"/v1/pipelines/{pid}", json={"document": cycle, "version": 1})
    assert r.status_code == 422
    assert await counts(container) == (1, 1)
    kept = (await client.get(f"/v1/pipelines/{pid}")).json()
    assert kept["version"] == 1 and kept["document"] == document()


async def test_saved_document_runs_as_saved_and_openapi_documents_it(
    client: httpx.AsyncClient,
) -> None:
    saved = (await client.post("/v1/pipelines", json={"document": document()})).json()
    pipeline = {k: v for k, v in saved["document"].items() if k != "layout"}
    quote = await client.post("/v1/quotes", json=pipeline)
    assert quote.status_code == 200, quote.text
    assert [n["id"] for n in quote.json()["nodes"] if not n["implicit"]] == ["still", "motion"]
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    assert set(paths["/v1/pipelines"]) == {"get", "post"}
    assert set(paths["/v1/pipelines/{pipeline_id}"]) == {"get", "put", "delete"}
    assert "/v1/pipelines/{pipeline_id}/versions/{number}" in paths
    created = paths["/v1/pipelines"]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["schema"]["$ref"].endswith("/PipelineOut")
    assert "csrf_token" in spec["components"]["schemas"]["SessionOut"]["properties"]


async def test_the_studio_saves_with_its_session_and_csrf_token(
    container: Container, client: httpx.AsyncClient
) -> None:
    from tests.integration.test_web_session import browser, sign_in_by_link

    async with browser(container) as web:
        await sign_in_by_link(container, web)
        body = {"name": "From the canvas", "document": document()}
        assert (await web.post("/v1/pipelines", json=body)).status_code == 403
        headers = {"X-CSRF-Token": web.cookies["rf_csrf"]}
        r = await web.post("/v1/pipelines", json=body, headers=headers)
        assert r.status_code == 201, r.text
        listed = (await web.get("/v1/pipelines")).json()["pipelines"]
        assert [p["name"] for p in listed] == ["From the canvas"]
    assert (await client.get(f"/v1/pipelines/{r.json()['id']}")).status_code == 200


async def test_cli_saves_lists_shows_and_deletes(container: Container, tmp_path: Path) -> None:
    import typer

    from reelforge.cli.pipelines import pipelines_app

    cli = typer.Typer()
    cli.add_typer(pipelines_app, name="pipelines")
    file = tmp_path / "harbour.json"
    file.write_text(json.dumps(document()))
    async with serve_in_loop(api_app(container)) as url:

        async def run(*args: str) -> Any:
            env = {
                "REELFORGE_HOME": str(container.settings.home),
                "REELFORGE_LOG_LEVEL": "WARNING",
                "REELFORGE_API_KEY": container.settings.owner_key_path.read_text().strip(),
            }
            argv = ["pipelines", *args, "--server", url]
            return await asyncio.to_thread(CliRunner().invoke, cli, argv, env=env)

        made = await run("save", str(file), "--name", "Harbour", "--json")
        assert made.exit_code == 0, made.output
        pid = json.loads(made.output)["id"]
        again = await run("save", str(file), "--id", pid, "--json")
        assert json.loads(again.output)["version"] == 2
        stale = await run("save", str(file), "--id", pid, "--version", "1")
        assert "VERSION_CONFLICT" in str(stale.exception)  # main() shows it, exit 1
        listed = json.loads((await run("list", "--json")).output)["pipelines"]
        assert [(p["id"], p["version"]) for p in listed] == [(pid, 2)]
        shown = await run("show", pid, "--document")
        assert "layout" not in json.loads(shown.output)
        table = await run("show", pid)
        assert "still (fal/flux-dev)" in table.output and "still → motion" in table.output
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"nodes": [{"id": "a", "model": "fal/nope"}]}))
        refused = await run("save", str(bad))
        assert "NOT_FOUND" in str(refused.exception)
        assert (await run("delete", pid)).exit_code == 0
        assert json.loads((await run("list", "--json")).output)["pipelines"] == []
