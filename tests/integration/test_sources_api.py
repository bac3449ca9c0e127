"""Model sources over the API: curated listing, custom entries with the seed's rules and
acknowledgments, and real downloads from a file server on 127.0.0.1 (checksum, mismatch,
resume with Range, servers without ranges, the SSRF guard)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.container import Container
from tests.conftest import make_settings
from tests.helpers import serve_asgi
from tests.integration.range_server import RangeFileServer

BLOB = os.urandom(3 * 1024 * 1024 + 123)
BLOB_SHA = hashlib.sha256(BLOB).hexdigest()


@pytest.fixture(scope="module")
def files() -> Iterator[tuple[RangeFileServer, str]]:
    server = RangeFileServer(files={"/m/model.safetensors": BLOB})
    with serve_asgi(server) as url:
        yield server, url


@pytest.fixture
async def world(
    tmp_path: Path, files: tuple[RangeFileServer, str]
) -> AsyncIterator[tuple[Container, httpx.AsyncClient, RangeFileServer, str]]:
    server, url = files
    server.ranges, server.cut_after, server.etag = True, None, '"v1"'
    server.requests.clear()
    settings = make_settings(
        tmp_path / "home",
        comfyui_dir=tmp_path / "ComfyUI",
        fetch_allow_hosts=[url.removeprefix("http://")],
    )
    async with open_container(settings) as container:
        key = settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as client:
            yield container, client, server, url


def custom(base: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "My Model",
        "type": "checkpoint",
        "url": f"{base}/m/model.safetensors",
        "filename": "my_model.safetensors",
        "license": "MIT",
        "sha256": BLOB_SHA,
    }
    body.update(over)
    return body


async def events(client: httpx.AsyncClient, source_id: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    async with client.stream("GET", f"/v1/sources/{source_id}/download/events") as response:
        assert response.status_code == 200, await response.aread()
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                found.append((event, json.loads(line.removeprefix("data: "))))
    return found


async def download(client: httpx.AsyncClient, source_id: str, **body: Any) -> dict[str, Any]:
    started = await client.post(f"/v1/sources/{source_id}/download", json=body)
    assert started.status_code == 202, started.text
    seen = await events(client, source_id)
    assert seen[-1][0] != "download.progress"
    return seen[-1][1]


async def test_curated_listing_and_filters(world: Any) -> None:
    _c, client, _s, _u = world
    listing = (await client.get("/v1/sources")).json()
    ids = {s["id"] for s in listing["sources"]}
    assert {"sdxl-base-1.0", "realesrgan-x4plus", "4x-ultrasharp"} <= ids
    for s in listing["sources"]:
        assert s["example"] == (s["sha256"] is None)
        if s["example"]:
            assert s["name"].startswith("Example") and not s["recommended"]
    base = next(s for s in listing["sources"] if s["id"] == "sdxl-base-1.0")
    assert base["folder"] == "checkpoints" and base["installed"]["status"] == "not_installed"
    assert base["installed"]["path"].endswith(
        "ComfyUI/models/checkpoints/sd_xl_base_1.0.safetensors"
    )
    ups = (await client.get("/v1/sources", params={"kind": "upscaler"})).json()["sources"]
    assert ups and all(s["type"] == "upscaler" for s in ups)
    rec = (await client.get("/v1/sources", params={"recommended": "true"})).json()["sources"]
    assert rec and all(s["recommended"] and not s["example"] for s in rec)
    bad = await client.get("/v1/sources", params={"typ": "lora"})
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd.safetensors",
        "..\\model.safetensors",
        "/abs/model.safetensors",
        "sub/model.safetensors",
        "C:model.safetensors",
        ".hidden.safetensors",
        "bad\x00name.safetensors",
        "new\nline.safetensors",
        "installer.exe",
        "run.sh",
        "evil.py",
        "model.safetensors.bat",
        "lib.so",
        "payload.ps1",
        "model.zip",
    ],
)
async def test_unsafe_filenames_are_refused_and_nothing_is_stored(
    world: Any, filename: str
) -> None:
    _c, client, _s, url = world
    answer = await client.post("/v1/sources", json=custom(url, filename=filename))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"
    mine = [s for s in (await client.get("/v1/sources")).json()["sources"] if not s["curated"]]
    assert mine == []


@pytest.mark.parametrize(
    "bad_url", ["ftp://example.com/m.safetensors", "file:///etc/passwd", "javascript:alert(1)"]
)
async def test_only_http_urls(world: Any, bad_url: str) -> None:
    _c, client, _s, url = world
    answer = await client.post("/v1/sources", json=custom(url, url=bad_url))
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] in ("VALIDATION_ERROR", "CONTRACT_MISMATCH")


async def test_unknown_fields_and_licenses_outside_the_contract(world: Any) -> None:
    _c, client, _s, url = world
    extra = await client.post("/v1/sources", json={**custom(url), "exec": "rm -rf /"})
    assert extra.json()["error"]["code"] == "CONTRACT_MISMATCH"
    other = await client.post("/v1/sources", json=custom(url, license="GPL"))
    assert other.status_code == 422


async def test_acknowledgments_gate_unknown_license_and_missing_checksum(world: Any) -> None:
    _c, client, _s, url = world
    unknown = await client.post("/v1/sources", json=custom(url, license="Unknown"))
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "LICENSE_UNKNOWN"
    assert "acknowledge_unknown_license" in json.dumps(unknown.json()["error"])
    no_sum = await client.post("/v1/sources", json=custom(url, sha256=None))
    assert no_sum.json()["error"]["code"] == "CHECKSUM_MISSING"
    both = await client.post("/v1/sources", json=custom(url, license="Unknown", sha256=None))
    assert both.json()["error"]["code"] == "LICENSE_UNKNOWN"
    assert both.json()["error"]["detail"]["acknowledgments_needed"] == [
        "acknowledge_unknown_license",
        "acknowledge_missing_checksum",
    ]
    half = await client.post(
        "/v1/sources",
        json={**custom(url, license="Unknown", sha256=None), "acknowledge_unknown_license": True},
    )
    assert half.json()["error"]["code"] == "CHECKSUM_MISSING"
    assert (await client.get("/v1/sources/custom-my-model")).status_code == 404
    ok = await client.post(
        "/v1/sources",
        json={
            **custom(url, license="Unknown", sha256=None),
            "acknowledge_unknown_license": True,
            "acknowledge_missing_checksum": True,
        },
    )
    assert ok.status_code == 201, ok.text
    view = ok.json()
    assert view["id"] == "custom-my-model" and not view["curated"] and not view["recommended"]
    assert view["acknowledged_unknown_license"] and view["acknowledged_missing_checksum"]
    # The acknowledged entry downloads (unverified) without asking again.
    final = await download(client, "custom-my-model")
    assert final["status"] == "succeeded" and final["verified"] is False


async def test_add_get_delete_custom_and_curated_stays(world: Any) -> None:
    _c, client, _s, url = world
    added = await client.post("/v1/sources", json=custom(url, tags=["mine"]))
    assert added.status_code == 201
    again = await client.post("/v1/sources", json=custom(url))
    assert again.status_code == 409
    clash = await client.post(
        "/v1/sources", json=custom(url, name="Other", filename="sd_xl_base_1.0.safetensors")
    )
    assert clash.status_code == 409
    got = (await client.get("/v1/sources/custom-my-model")).json()
    assert got["tags"] == ["mine"] and got["folder"] == "checkpoints"
    assert (await client.delete("/v1/sources/sdxl-base-1.0")).status_code == 403
    assert (await client.delete("/v1/sources/custom-my-model")).status_code == 204
    assert (await client.get("/v1/sources/custom-my-model")).status_code == 404


async def test_download_verifies_and_lands_where_comfyui_looks(world: Any) -> None:
    container, client, server, url = world
    assert (await client.post("/v1/sources", json=custom(url))).status_code == 201
    final = await download(client, "custom-my-model")
    assert final["status"] == "succeeded", final
    assert final["verified"] is True and final["sha256"] == BLOB_SHA
    path = container.settings.comfyui_dir / "models" / "checkpoints" / "my_model.safetensors"
    assert Path(final["path"]) == path and path.read_bytes() == BLOB
    assert not list(path.parent.glob("*.part*"))
    status = (await client.get("/v1/sources/custom-my-model/download")).json()
    assert status["status"] == "succeeded" and status["done_bytes"] == len(BLOB)
    installed = (await client.get("/v1/sources/installed")).json()
    assert [f["source_id"] for f in installed["files"]] == ["custom-my-model"]
    # A second start finds the file in place (verified again), fetching nothing.
    before = len(server.requests)
    again = await client.post("/v1/sources/custom-my-model/download")
    assert again.json()["already_installed"] is True and again.json()["verified"] is True
    assert len(server.requests) == before


async def test_checksum_mismatch_deletes_the_file(world: Any) -> None:
    container, client, _s, url = world
    wrong = hashlib.sha256(b"something else").hexdigest()
    assert (await client.post("/v1/sources", json=custom(url, sha256=wrong))).status_code == 201
    final = await download(client, "custom-my-model")
    assert final["status"] == "failed"
    assert final["error"]["code"] == "CHECKSUM_MISMATCH"
    assert final["error"]["detail"]["actual_sha256"] == BLOB_SHA
    folder = container.settings.comfyui_dir / "models" / "checkpoints"
    assert list(folder.iterdir()) == []
    view = (await client.get("/v1/sources/custom-my-model")).json()
    assert view["installed"]["status"] == "not_installed"


async def test_a_broken_download_resumes_with_range(world: Any) -> None:
    container, client, server, url = world
    assert (await client.post("/v1/sources", json=custom(url))).status_code == 201
    server.cut_after = 1024 * 1024 + 7
    first = await download(client, "custom-my-model")
    assert first["status"] == "failed" and first["error"]["code"] == "PROVIDER_ERROR"
    part = container.settings.comfyui_dir / "models" / "checkpoints" / "my_model.safetensors.part"
    assert 0 < part.stat().st_size <= 1024 * 1024 + 7
    partial = part.stat().st_size
    assert (await client.get("/v1/sources/custom-my-model")).json()["installed"][
        "status"
    ] == "partial"
    final = await download(client, "custom-my-model")
    assert final["status"] == "succeeded" and final["verified"] is True
    assert final["resumed_from"] == partial
    last = server.requests[-1]
    assert last["range"] == f"bytes={partial}-" and last["if-range"] == '"v1"'
    path = part.with_name("my_model.safetensors")
    assert path.read_bytes() == BLOB and not part.exists()


async def test_a_server_without_ranges_or_a_changed_file_starts_over(world: Any) -> None:
    _container, client, server, url = world
    assert (await client.post("/v1/sources", json=custom(url))).status_code == 201
    server.cut_after = 500_000
    await download(client, "custom-my-model")
    server.ranges = False  # answers 200 with the whole file to a Range request
    final = await download(client, "custom-my-model")
    assert final["status"] == "succeeded" and final["resumed_from"] == 0
    assert Path(final["path"]).read_bytes() == BLOB
    # Changed on the server (new ETag): If-Range makes it send the whole file again.
    (Path(final["path"])).unlink()
    server.ranges, server.cut_after = True, 700_000
    await download(client, "custom-my-model")
    server.etag = '"v2"'
    final = await download(client, "custom-my-model")
    assert final["status"] == "succeeded" and final["resumed_from"] == 0
    assert Path(final["path"]).read_bytes() == BLOB


async def test_examples_need_an_acknowledgment_and_members_cannot_download(world: Any) -> None:
    _c, client, _s, _u = world
    refused = await client.post("/v1/sources/4x-ultrasharp/download")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "CHECKSUM_MISSING"
    member = await client.post("/v1/users", json={"name": "m", "role": "member"})
    assert member.status_code == 201, member.text
    key = (await client.post(f"/v1/users/{member.json()['id']}/keys", json={})).json()["key"]
    denied = await client.post(
        "/v1/sources/sdxl-base-1.0/download", headers={"Authorization": f"Bearer {key}"}
    )
    assert denied.status_code == 403


async def test_loopback_is_refused_without_the_allowlist(tmp_path: Path, files: Any) -> None:
    _server, url = files
    settings = make_settings(tmp_path / "home", comfyui_dir=tmp_path / "ComfyUI")
    async with open_container(settings) as container:
        owner = await _owner_id(container)
        source = await container.sources.add(
            owner, custom(url), ack_license=False, ack_checksum=False
        )
        job = await container.sources.start_download(owner, source.id)
        assert job.task is not None
        await job.task
        assert job.status == "failed" and job.error is not None
        assert job.error["code"] == "UNSAFE_URL"
        assert not (tmp_path / "ComfyUI" / "models" / "checkpoints").exists() or not list(
            (tmp_path / "ComfyUI" / "models" / "checkpoints").iterdir()
        )


async def _owner_id(container: Container) -> str:
    from reelforge.storage import identity

    async with container.db.session() as session:
        owner = await identity.find_owner(session)
    assert owner is not None
    return owner.id
