"""The gallery over HTTP on live emulators: GET /v1/artifacts filters by kind, model, run
and date and pages by cursor; images and videos get a WebP thumbnail made once (a second
request, or a concurrent one, never encodes again), cached for good, and invisible to
other users."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
from PIL import Image
from sqlalchemy import func, select

from reelforge.api.history_deps import thumbnails
from reelforge.storage.tables import utcnow
from reelforge.storage.thumbnail_tables import ThumbnailRow
from tests.integration.routing_world import World
from tests.integration.test_users_api import key_for, make_user
from tests.media_helpers import make_tone


def _opening_means(data: bytes, video: bool) -> list[np.ndarray]:
    if not video:
        return [
            np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), np.float32).mean(axis=(0, 1))
        ]
    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in islice(container.decode(video=0), 90)]
    return [f.astype(np.float32).mean(axis=(0, 1)) for f in frames]


def arts(page: dict[str, Any]) -> list[str]:
    return [a["id"] for a in page["artifacts"]]


async def _media(world: World, tmp_path: Path) -> dict[str, Any]:
    still = await world.generate(model="fal/flux-dev", prompt="a lighthouse", fallbacks=[])
    pipeline = {
        "nodes": [
            {"id": "img", "model": "fal/flux-dev", "prompt": "a harbour", "seed": 3},
            {"id": "vid", "model": "fal/wan-i2v", "prompt": "boats", "max_micros": 40_000},
        ],
        "edges": [{"from": "img", "to": "vid"}],
    }
    r = await world.client.post("/v1/runs", json={"pipeline": pipeline})
    assert r.status_code == 202, r.text
    chain = await world.wait(r.json()["id"])
    assert chain["status"] == "succeeded", chain
    tone = make_tone(tmp_path / "voice.wav", seconds=0.5)
    up = await world.client.post(
        "/v1/uploads", files={"file": ("voice.wav", tone.read_bytes(), "audio/wav")}
    )
    assert up.status_code == 201, up.text
    steps = {s["node_id"]: s for s in chain["steps"]}
    return {
        "still": still["outputs"][0]["artifact_id"],
        "still_run": still["id"],
        "chain_image": steps["img"]["outputs"][0],
        "video": steps["vid"]["outputs"][0],
        "chain_run": chain["id"],
        "audio": up.json()["id"],
    }


async def test_gallery_filters_and_pages(world: World, tmp_path: Path) -> None:
    m = await _media(world, tmp_path)
    c = world.client

    async def find(**params: Any) -> list[str]:
        r = await c.get("/v1/artifacts", params=params)
        assert r.status_code == 200, r.text
        return arts(r.json())

    everything = await find()
    assert everything == [m["audio"], m["video"], m["chain_image"], m["still"]]
    assert await find(kind="image") == [m["chain_image"], m["still"]]
    assert await find(kind="video") == [m["video"]]
    assert await find(kind="audio") == [m["audio"]]
    assert await find(model="fal/wan-i2v") == [m["video"]]
    assert await find(model="fal/flux-dev") == [m["chain_image"], m["still"]]
    assert await find(run_id=m["chain_run"]) == [m["video"], m["chain_image"]]
    assert await find(run_id=m["still_run"], kind="video") == []
    assert await find(created_after=(utcnow() + timedelta(hours=1)).isoformat()) == []
    assert await find(created_before=(utcnow() + timedelta(hours=1)).isoformat()) == everything
    page = (await c.get("/v1/artifacts", params={"limit": 3})).json()
    assert arts(page) == everything[:3] and page["next_before"] == everything[2]
    rest = (await c.get("/v1/artifacts", params={"limit": 3, "before": page["next_before"]})).json()
    assert arts(rest) == everything[3:] and rest["next_before"] is None

    items = {a["id"]: a for a in (await c.get("/v1/artifacts")).json()["artifacts"]}
    assert items[m["video"]]["thumbnail_url"] == f"/v1/artifacts/{m['video']}/thumbnail"
    assert items[m["still"]]["thumbnail_url"] == f"/v1/artifacts/{m['still']}/thumbnail"
    assert items[m["audio"]]["thumbnail_url"] is None
    assert items[m["video"]]["provenance"]["run_id"] == m["chain_run"]

    for params in ({"kind": "text"}, {"kind": "gif"}, {"model_id": "x"}, {"limit": 0}):
        r = await c.get("/v1/artifacts", params=params)
        assert r.json()["error"]["code"] == "VALIDATION_ERROR", (params, r.text)


async def test_thumbnails_are_made_once_decodable_and_cached(world: World, tmp_path: Path) -> None:
    m = await _media(world, tmp_path)
    service = thumbnails(world.container)
    real = service.encoder
    encoded: list[Path] = []

    def counting(path: Path) -> Any:
        encoded.append(path)
        return real(path)

    service.encoder = counting
    c = world.client
    for key in ("still", "video"):
        url = f"/v1/artifacts/{m[key]}/thumbnail"
        first, again = await asyncio.gather(c.get(url), c.get(url))  # concurrent first requests
        third = await c.get(url)
        for r in (first, again, third):
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == "image/webp"
            assert "immutable" in r.headers["cache-control"]
            assert r.content == first.content and r.headers["etag"] == first.headers["etag"]
        image = Image.open(io.BytesIO(first.content))
        image.load()
        assert image.format == "WEBP" and max(image.size) <= 256
        # The preview is of its source: its mean colour is the image's, or one of the
        # video's opening frames'.
        source = (await c.get(f"/v1/artifacts/{m[key]}/content")).content
        mean = np.asarray(image.convert("RGB"), np.float32).mean(axis=(0, 1))
        candidates = _opening_means(source, key == "video")
        assert min(float(np.abs(mean - x).max()) for x in candidates) < 6, (key, mean)
        (tmp_path / f"thumb-{key}.webp").write_bytes(first.content)
        cached = await c.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert cached.status_code == 304 and cached.content == b""
    assert len(encoded) == 2  # one encode per source, whatever the number of requests
    async with world.container.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(ThumbnailRow)) == 2

    audio = await c.get(f"/v1/artifacts/{m['audio']}/thumbnail")
    assert audio.status_code == 404 and audio.json()["error"]["code"] == "NOT_FOUND"
    missing = await c.get("/v1/artifacts/art_nope/thumbnail")
    assert missing.status_code == 404


async def test_other_users_artifacts_are_invisible(world: World, tmp_path: Path) -> None:
    m = await _media(world, tmp_path)
    member = await make_user(world.client, name="m", role="member")
    key = await key_for(world.client, member["id"])
    async with httpx.AsyncClient(
        transport=world.client._transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {key}"},
    ) as other:
        assert arts((await other.get("/v1/artifacts")).json()) == []
        assert (
            arts((await other.get("/v1/artifacts", params={"run_id": m["chain_run"]})).json()) == []
        )
        for path in ("", "/thumbnail", "/content"):
            r = await other.get(f"/v1/artifacts/{m['video']}{path}")
            assert r.status_code == 404, (path, r.text)
