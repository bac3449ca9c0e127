"""Every mode's exporter through the API, its files opened and checked: the sprite
sheet matches its atlas, the SVG parses, the emoji sizes are exact, the brand kit has its
sizes; files and the ZIP are their owner's only."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from PIL import Image

from tests.integration.assets_world import AssetsWorld, open_assets_world


@pytest.fixture
async def aw(tmp_path: Path) -> AsyncIterator[AssetsWorld]:
    async for w in open_assets_world(tmp_path):
        yield w


async def _jobs(aw: AssetsWorld, mode: str, count: int) -> list[str]:
    r = await aw.member.post(
        "/v1/assets/generate",
        json={"mode": mode, "prompt": "a fox", "batchCount": count, "seed": 9},
    )
    assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
    return [j["id"] for j in r.json()["jobs"]]


async def _export(aw: AssetsWorld, mode: str, fmt: str, jobs: list[str], **options: Any) -> Any:
    r = await aw.member.post(
        f"/v1/assets/{mode}/export", json={"format": fmt, "job_ids": jobs, "options": options}
    )
    assert r.status_code == 201, r.text
    out = r.json()
    files = {}
    for f in out["files"]:
        got = await aw.member.get(f["url"])
        assert got.status_code == 200 and len(got.content) == f["bytes"]
        assert got.headers["content-type"].startswith(f["content_type"])
        assert got.headers["content-disposition"].startswith("attachment")
        files[f["name"]] = got.content
    return out, files


async def test_every_exporter_through_the_api(aw: AssetsWorld) -> None:
    out, files = await _export(aw, "pixel", "sprite_sheet", await _jobs(aw, "pixel", 4), grid=16)
    atlas = json.loads(files["atlas.json"])
    sheet = Image.open(io.BytesIO(files["sheet.png"]))
    assert sheet.mode == "RGBA" and sheet.size == (
        atlas["meta"]["size"]["w"],
        atlas["meta"]["size"]["h"],
    )
    assert atlas["meta"]["colors"] == 16  # the sprite preset's palette, not a default
    for frame in atlas["frames"].values():
        box = frame["frame"]
        assert box["x"] + box["w"] <= sheet.width and box["y"] + box["h"] <= sheet.height
    assert len(atlas["frames"]) == 4
    # The ZIP has the same files; nobody else reads them.
    z = await aw.member.get(out["zip_url"])
    assert z.headers["content-type"] == "application/zip"
    assert sorted(zipfile.ZipFile(io.BytesIO(z.content)).namelist()) == sorted(files)
    other, _id = await aw.client_for("other")
    async with other:
        assert (await other.get(out["zip_url"])).status_code == 404
        assert (await other.get(out["files"][0]["url"])).status_code == 404
    assert (await aw.guest.get(out["files"][0]["url"])).status_code == 401

    _out, files = await _export(aw, "vector", "svg", await _jobs(aw, "vector", 1))
    root = ElementTree.fromstring(files["asset_0.svg"])
    assert root.tag.endswith("svg") and len(root) > 0
    fills = {p.get("fill") for p in root.iter() if p.get("fill")}
    assert 1 <= len(fills) <= 8  # the flat illustration preset's 8 colours

    _out, files = await _export(aw, "emoji", "emoji_set", await _jobs(aw, "emoji", 1))
    for size in (16, 32, 128, 512):
        for ext in ("png", "webp"):
            img = Image.open(io.BytesIO(files[f"emoji_{size}.{ext}"]))
            assert img.size == (size, size) and img.mode == "RGBA"

    _out, files = await _export(aw, "business", "brand_kit", await _jobs(aw, "business", 1))
    assert Image.open(io.BytesIO(files["og_1200x630.png"])).size == (1200, 630)
    assert Image.open(io.BytesIO(files["logo_on_dark.png"])).size == (1024, 1024)
