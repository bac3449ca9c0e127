"""One order per official service (all 19) in sandbox, placed at once: each executes by
itself and delivers media that decodes (an image, or a video with frames)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from PIL import Image

from reelforge.apps.market.roster import roster
from reelforge.emulators.base.render import render_audio, render_image, render_video
from tests.integration.market_world import market_world

# What each service's model needs besides the brief (as tests/e2e/test_service_models_cli.py).
NEEDS = {
    "kling/i2v": ["image"],
    "kling/talking_avatar": ["image", "audio"],
    "runway/turbo_5s": ["image"],
    "runway/pro_gen4_5s": ["image"],
    "luma/i2v": ["image"],
    "luma/remix": ["video"],
    "higgsfield/dop_turbo": ["image"],
    "higgsfield/dop_quality": ["image"],
    "higgsfield/talking_avatar": ["image", "audio"],
}


def decodes(data: bytes, kind: str) -> bool:
    if kind == "image":
        return min(Image.open(io.BytesIO(data)).size) > 0
    with av.open(io.BytesIO(data), "r") as container:
        frames = sum(1 for _ in container.decode(container.streams.video[0]))
    return frames > 1


async def upload(client: httpx.AsyncClient, name: str, data: bytes) -> str:
    r = await client.post("/v1/uploads", files={"file": (name, data)})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.mark.slow
async def test_every_official_service_delivers_decodable_media(tmp_path: Path) -> None:
    async with market_world(tmp_path / "home") as world:
        _buyer_id, buyer = await world.buyer(credits_micros=60_000_000)
        media = {
            "image": await upload(
                buyer, "face.png", render_image("a portrait", 1, width=400, height=400)
            ),
            "audio": await upload(buyer, "line.wav", render_audio("hello there", duration=2.0)),
            "video": await upload(buyer, "clip.mp4", render_video("a street", 2, duration=2.0)),
        }
        services = [s for agent in roster() for s in agent.services]
        assert len(services) == 19

        async def order(service: Any) -> dict[str, Any]:
            needs = NEEDS.get(service.model_id, [])
            r = await buyer.post(
                "/api/atelier/orders",
                json={
                    "service_id": service.id,
                    "brief": f"a lighthouse at dusk ({service.title})",
                    "inputs": [{"artifact_id": media[k]} for k in needs],
                    "consent": "avatar" in service.provider_model,
                },
            )
            assert r.status_code == 201, (service.id, r.text)
            r = await buyer.get(f"/api/atelier/orders/{r.json()['id']}", params={"wait": 150})
            return dict(r.json())

        done = await asyncio.gather(*(order(s) for s in services))
        for service, result in zip(services, done, strict=True):
            assert result["status"] == "delivered", (service.id, result["status"], result["error"])
            (item,) = result["deliverables"]
            expected = "image" if service.category == "image_gen" else "video"
            assert item["kind"] == expected, service.id
            data = (await buyer.get(item["url"])).content
            assert decodes(data, item["kind"]), service.id
        orders = (await buyer.get("/v1/market/orders", params={"limit": 50})).json()["orders"]
        assert len(orders) == 19 and {o["status"] for o in orders} == {"delivered"}
        margins = (await world.owner.get("/v1/market/margins")).json()["totals"]
        assert margins["orders"] == 19
        assert margins["revenue_micros"] == sum(s.price_micros for s in services)
