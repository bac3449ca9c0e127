"""Mode isolation through the API: workspaces keep their mode, galleries are per mode,
presets belong to their mode; the only crossing is an explicit import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.assets_world import AssetsWorld, open_assets_world


@pytest.fixture
async def aw(tmp_path: Path) -> AsyncIterator[AssetsWorld]:
    async for w in open_assets_world(tmp_path):
        yield w


async def test_modes_never_cross(aw: AssetsWorld) -> None:
    m = aw.member
    pixel = (await m.post("/v1/assets/workspaces", json={"mode": "pixel", "name": "Game"})).json()
    biz = (await m.post("/v1/assets/workspaces", json={"mode": "business", "name": "Co"})).json()
    # Switching a workspace's mode is refused; renaming is fine.
    r = await m.patch(f"/v1/assets/workspaces/{pixel['id']}", json={"mode": "business"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "MODE_MISMATCH"
    r = await m.patch(f"/v1/assets/workspaces/{pixel['id']}", json={"name": "Game 2"})
    assert r.status_code == 200 and r.json()["mode"] == "pixel"
    # A business generation cannot go into the pixel workspace.
    r = await m.post(
        "/api/generate",
        json={"mode": "business", "prompt": "a bakery logo", "workspaceId": pixel["id"]},
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "MODE_MISMATCH"
    # A preset of another mode is not a preset of this one.
    r = await m.post("/api/generate", json={"mode": "business", "prompt": "x", "tool": "sprite"})
    assert r.status_code == 422 and "sprite" in r.json()["error"]["message"]
    r = await m.post(
        "/api/generate",
        json={"mode": "pixel", "prompt": "a slime", "workspaceId": pixel["id"], "seed": 3},
    )
    assert r.status_code == 200, r.text
    job = r.json()["jobs"][0]
    mine_pixel = (await m.get("/v1/assets/pixel/gallery?scope=mine")).json()["entries"]
    assert [e["job_id"] for e in mine_pixel] == [job["id"]]
    assert (await m.get("/v1/assets/business/gallery?scope=mine")).json()["entries"] == []
    # Public only by opt-in, and still only in its own mode.
    assert (await aw.guest.get("/v1/assets/pixel/gallery")).json()["entries"] == []
    entry = mine_pixel[0]
    assert (await m.get(entry["url"])).status_code == 200  # the owner's own
    assert (await aw.guest.get(entry["url"])).status_code == 404  # private until opted in
    r = await m.patch(f"/v1/assets/gallery/{entry['id']}", json={"public": True})
    assert r.status_code == 200 and r.json()["public"] is True
    public = (await aw.guest.get("/v1/assets/pixel/gallery")).json()["entries"]
    assert [e["id"] for e in public] == [entry["id"]]
    # Public: its image opens for anyone.
    assert (await aw.guest.get(public[0]["url"])).status_code == 200
    assert (await aw.guest.get("/v1/assets/business/gallery")).json()["entries"] == []
    # Exporting a pixel job with the business exporter is refused.
    r = await m.post(
        "/v1/assets/business/export", json={"format": "brand_kit", "job_ids": [job["id"]]}
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "MODE_MISMATCH"
    # The explicit import makes a business entry (a copy) pointing back at the original.
    r = await m.post(f"/v1/assets/gallery/{entry['id']}/import", json={"workspace_id": biz["id"]})
    assert r.status_code == 201, r.text
    imported = r.json()
    assert imported["mode"] == "business" and imported["imported_from"] == entry["id"]
    biz_entries = (await m.get("/v1/assets/business/gallery?scope=mine")).json()["entries"]
    assert [e["id"] for e in biz_entries] == [imported["id"]]
    # Another user sees none of it and cannot touch it.
    other, _ = await aw.client_for("other")
    async with other:
        assert (await other.get("/v1/assets/pixel/gallery?scope=mine")).json()["entries"] == []
        r = await other.patch(f"/v1/assets/gallery/{entry['id']}", json={"public": False})
        assert r.status_code == 404
        r = await other.patch(f"/v1/assets/workspaces/{pixel['id']}", json={"name": "mine"})
        assert r.status_code == 404


async def test_workspace_count_is_the_plans(aw: AssetsWorld) -> None:
    # Free allows 3 workspaces (billing/plans.json).
    for i in range(3):
        r = await aw.member.post("/v1/assets/workspaces", json={"mode": "emoji", "name": f"w{i}"})
        assert r.status_code == 201
    r = await aw.member.post("/v1/assets/workspaces", json={"mode": "vector", "name": "w4"})
    assert r.status_code == 409 and r.json()["error"]["detail"]["max_workspaces"] == 3
    r = await aw.guest.post("/v1/assets/workspaces", json={"mode": "vector", "name": "g"})
    assert r.status_code == 401
