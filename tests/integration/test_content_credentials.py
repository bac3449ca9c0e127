"""Content credentials on what ReelForge makes (issue 24): a chain t2i → i2v → grade
carries each parent as an ingredient, uploads keep their own manifests as ingredients,
runs and deployments can opt out, and the keys stay private."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.storage.content_credentials import keys
from reelforge.storage.content_credentials.claims import Claim
from reelforge.storage.content_credentials.reading import Credentials, read_bytes
from reelforge.storage.content_credentials.sealing import Sealer
from reelforge.storage.content_credentials.signers import LibrarySigner, LocalSigner
from tests.conftest import make_settings
from tests.integration.test_runs_api import wait_run

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
CHAIN = {
    "nodes": [
        {"id": "still", "model": "fal/flux-dev", "prompt": "a lighthouse", "seed": 3},
        {"id": "motion", "model": "fal/wan-i2v", "prompt": "waves roll in"},
        {"id": "look", "model": "local/grade", "params": {"look": "warm"}},
    ],
    "edges": [{"from": "still", "to": "motion"}, {"from": "motion", "to": "look"}],
}


async def _content(client: httpx.AsyncClient, artifact_id: str) -> tuple[dict[str, Any], bytes]:
    meta = (await client.get(f"/v1/artifacts/{artifact_id}")).json()
    data = (await client.get(f"/v1/artifacts/{artifact_id}/content")).content
    return meta, data


def _read(container: Container, data: bytes, content_type: str) -> Credentials:
    assert container.artifacts.sealer is not None
    return read_bytes(data, content_type, anchors_pem=container.artifacts.sealer.anchors_pem)


async def test_chain_carries_each_parent_as_an_ingredient(
    run_client: httpx.AsyncClient, running: Container
) -> None:
    r = await run_client.post("/v1/runs", json={"pipeline": CHAIN})
    assert r.status_code == 202, r.text
    run = await wait_run(run_client, r.json()["id"], timeout=120)
    assert run["status"] == "succeeded", json.dumps(run, default=str)[:2000]
    ids = {s["node_id"]: s["outputs"][0] for s in run["steps"]}
    read = {}
    for node, art_id in ids.items():
        meta, data = await _content(run_client, art_id)
        assert meta["content_credentials"]["status"] == "embedded"
        # The stored blob is the signed file; the unsigned content keeps its own digest.
        assert meta["sha256"] == hashlib.sha256(data).hexdigest() and meta["size"] == len(data)
        assert meta["content_sha256"] != meta["sha256"]
        creds = _read(running, data, meta["content_type"])
        assert creds.state == "Trusted", creds.failures
        read[node] = creds.summary()

    still, motion, look = read["still"], read["motion"], read["look"]
    assert still["actions"][-1]["action"] == "c2pa.created"
    assert still["actions"][-1]["digitalSourceType"] == IPTC + "trainedAlgorithmicMedia"
    assert still["ingredients"] == []
    assert still["generation"]["provider"] == "fal" and still["generation"]["sandbox"] is True
    assert still["generation"]["model"] == "fal/flux-dev"
    assert "sandbox" in still["actions"][-1]["description"]
    # The video was made from the still: the still (with its own manifest) is its input.
    assert motion["actions"][-1]["action"] == "c2pa.created"
    assert [(i["relationship"], i["has_credentials"]) for i in motion["ingredients"]] == [
        ("inputTo", True)
    ]
    assert motion["generation"]["parents"] == [ids["still"]]
    # The grade is a local edit of generated media: opened, then edited (composite).
    assert [a["action"] for a in look["actions"]] == ["c2pa.opened", "c2pa.edited"]
    assert look["actions"][-1]["digitalSourceType"] == IPTC + "compositeWithTrainedAlgorithmicMedia"
    assert [(i["relationship"], i["has_credentials"]) for i in look["ingredients"]] == [
        ("parentOf", True)
    ]
    # The whole history travels with the last file: its manifest and both ancestors'.
    _, data = await _content(run_client, ids["look"])
    assert len(_read(running, data, "video/mp4").manifests) == 3

    prov = (await run_client.get(f"/v1/artifacts/{ids['look']}/provenance")).json()
    assert {a["id"] for a in prov["artifacts"]} == set(ids.values())
    assert {(e["from"], e["to"]) for e in prov["edges"]} == {
        (ids["still"], ids["motion"]),
        (ids["motion"], ids["look"]),
    }
    assert [r["id"] for r in prov["runs"]] == [run["id"]]
    assert {s["node_id"] for s in prov["steps"]} == {"still", "motion", "look"}
    assert set(prov["models"]) == {"fal/flux-dev", "fal/wan-i2v", "local/grade"}
    assert prov["manifest"]["state"] == "Trusted"
    assert prov["manifest"]["active_manifest"]["title"].startswith("look")


async def test_run_opt_out_stores_unsigned_files(
    run_client: httpx.AsyncClient, running: Container
) -> None:
    r = await run_client.post(
        "/v1/generations",
        json={"model": "fal/flux-dev", "prompt": "a cat", "content_credentials": False},
        headers={"Prefer": "wait=60"},
    )
    assert r.status_code == 200, r.text
    meta, data = await _content(run_client, r.json()["outputs"][0]["artifact_id"])
    assert meta["content_credentials"]["status"] == "none"
    assert meta["sha256"] == meta["content_sha256"] == hashlib.sha256(data).hexdigest()
    assert _read(running, data, meta["content_type"]).state is None


def _signed_elsewhere(tmp_path: Path) -> bytes:
    """A PNG signed by another party's chain (not trusted here)."""
    other = keys.generate("Elsewhere")
    sealer = Sealer(LibrarySigner(LocalSigner(other)), version="9")
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buf, "PNG")
    claim = Claim(title="camera", provider="elsewhere", model="cam")
    sealed = sealer.seal(claim, "image/png", buf.getvalue(), tmp_path)
    assert sealed.data is not None
    return sealed.data


async def test_uploads_keep_their_manifests_as_ingredients(
    run_client: httpx.AsyncClient, running: Container, tmp_path: Path
) -> None:
    plain = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 40)).save(plain, "PNG")
    made = {}
    for name, data in (
        ("foreign.png", _signed_elsewhere(tmp_path)),
        ("plain.png", plain.getvalue()),
    ):
        up = await run_client.post("/v1/uploads", files={"file": (name, data)})
        assert up.status_code == 201, up.text
        # An upload is stored as it came (never signed by us), and read without error.
        assert up.json()["sha256"] == hashlib.sha256(data).hexdigest()
        assert up.json()["content_credentials"]["status"] == "none"
        r = await run_client.post(
            "/v1/generations",
            json={"model": "local/grade", "inputs": [{"artifact_id": up.json()["id"]}]},
            headers={"Prefer": "wait=60"},
        )
        assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
        meta, out = await _content(run_client, r.json()["outputs"][0]["artifact_id"])
        made[name] = _read(running, out, meta["content_type"])
    foreign, plain_made = made["foreign.png"], made["plain.png"]
    assert foreign.state == "Trusted" and plain_made.state == "Trusted"
    assert [(i["title"], i["has_credentials"]) for i in foreign.summary()["ingredients"]] == [
        ("foreign.png", True)
    ]
    assert len(foreign.manifests) == 2  # the upload's own manifest came along
    assert [(i["title"], i["has_credentials"]) for i in plain_made.summary()["ingredients"]] == [
        ("plain.png", False)
    ]


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buf
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


async def test_keys_are_private_and_never_logged(
    tmp_path: Path, captured_logs: io.StringIO
) -> None:
    settings = make_settings(tmp_path / "home", log_level="DEBUG")
    async with open_container(settings) as c:
        folder = settings.c2pa_dir
        key_pem = (folder / keys.KEY_FILE).read_text()
        for name in (keys.KEY_FILE, keys.CHAIN_FILE, keys.ROOT_FILE):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
        body = [line for line in key_pem.splitlines() if not line.startswith("-----")]
        from reelforge.logs import get_logger

        get_logger("tests.c2pa").warning("oops", material=key_pem, line=body[0])
        sealer = c.artifacts.sealer
        assert sealer is not None and "PRIVATE" not in repr(sealer.signer.remote)
    logged = captured_logs.getvalue()
    assert "content_credentials_key_created" in logged
    assert all(line not in logged for line in body)
    # A second start reuses the same key.
    async with open_container(settings):
        assert (folder / keys.KEY_FILE).read_text() == key_pem


@pytest.fixture
async def unsigned_client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    settings = make_settings(tmp_path / "home", content_credentials=False)
    async with open_container(settings, start_runner=True) as c:
        key = settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(c), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as client:
            yield client, settings.c2pa_dir


async def test_deployment_off_signs_nothing(
    unsigned_client: tuple[httpx.AsyncClient, Path],
) -> None:
    client, folder = unsigned_client
    r = await client.post(
        "/v1/generations",
        json={"model": "fal/flux-dev", "prompt": "a dog"},
        headers={"Prefer": "wait=60"},
    )
    assert r.status_code == 200, r.text
    meta, data = await _content(client, r.json()["outputs"][0]["artifact_id"])
    assert meta["content_credentials"]["status"] == "none"
    assert meta["sha256"] == hashlib.sha256(data).hexdigest() == meta["content_sha256"]
    assert read_bytes(data, meta["content_type"]).state is None
    assert not folder.exists()  # no key is made for a deployment that never signs
