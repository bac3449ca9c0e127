"""User A's objects for the tenancy suite, made through the public API as a user makes them,
each finished before the suite reads it (the embedded runner is started): ids by the path
parameter name that addresses them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.helpers import png_bytes
from tests.series_helpers import AUDIO_PACK, script_data

GROK_IMAGE = "svc_atelier_grok_grok_2_image"
Body = dict[str, Any]


def pipeline() -> Body:
    return {"nodes": [{"id": "still", "model": "fal/flux-dev", "prompt": "a harbour"}]}


async def until(what: str, read: Callable[[], Awaitable[Any]], timeout: float = 90) -> Any:
    """Poll ``read`` until it answers something true (bounded: fails after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not (value := await read()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)
    return value


class Objects:
    def __init__(self, a: httpx.AsyncClient) -> None:
        self.a = a
        self.ids: dict[str, str] = {}

    def made(self, r: httpx.Response, name: str, key: str = "id") -> Body:
        assert r.status_code in (200, 201, 202), (name, r.status_code, r.text[:300])
        body: Body = r.json()
        self.ids[name] = str(body[key])
        return body

    async def once(
        self, path: str, done: Callable[[Body], bool], tick: httpx.AsyncClient | None = None
    ) -> Body:
        """A's read of ``path`` once ``done`` holds; ``tick``: an admin's client that runs the
        series platform's scheduled jobs (the sandbox clock) between reads."""

        async def read() -> Body | None:
            if tick is not None:
                assert (
                    await tick.post("/api/v1/console/sandbox/advance", json={"hours": 0})
                ).is_success
            r = await self.a.get(path)
            return r.json() if r.status_code == 200 and done(r.json()) else None

        return await until(path, read)


async def make_objects(
    a: httpx.AsyncClient, b: httpx.AsyncClient, owner: httpx.AsyncClient
) -> dict[str, str]:
    o = Objects(a)
    o.made(await a.post("/v1/uploads", files={"file": ("a.png", png_bytes())}), "artifact_id")
    run = o.made(
        await a.post(
            "/v1/generations",
            json={"model": "fal/flux-dev", "prompt": "a red fox"},
            headers={"Prefer": "wait=60"},
        ),
        "run_id",
    )
    assert run["status"] == "succeeded", run
    o.made(
        await a.post("/v1/pipelines", json={"name": "Harbour", "document": pipeline()}),
        "pipeline_id",
    )
    o.ids["number"] = "1"  # the pipeline's version 1
    o.made(
        await a.post(
            "/v1/characters", json={"name": "Ava", "reference_images": [o.ids["artifact_id"]]}
        ),
        "character_id",
    )
    o.made(await a.post("/v1/me/keys", json={"label": "second"}), "key_id")
    r = await a.put("/v1/providers/fal/credential", json={"values": {"api_key": "fal-a-key-1"}})
    assert r.status_code == 200, r.text
    o.ids["name"] = "fal"
    await _market(o)
    await _assets(o)
    o.made(
        await a.post(
            "/v1/sources",
            json={
                "name": "A's LoRA",
                "type": "lora",
                "url": "https://example.com/a-lora.safetensors",
                "filename": "a-lora.safetensors",
                "license": "MIT",
                "acknowledge_missing_checksum": True,
            },
        ),
        "source_id",
    )
    await _series(o, b, owner)
    return o.ids


async def _market(o: Objects) -> None:
    """An order, delivered (its post on the public feed); a market agent of A's and its
    service."""
    a = o.a
    order = o.made(
        await a.post("/v1/market/orders", json={"service_id": GROK_IMAGE, "brief": "a fox"}),
        "order_id",
    )
    done = await o.once(f"/v1/market/orders/{order['id']}", lambda x: x["status"] == "delivered")
    o.ids["post_id"], o.ids["index"] = done["deliverable_post_id"], "0"  # its public post
    agent = o.made(await a.post("/v1/market/agents", json={"name": "A's agent"}), "agent_id")
    o.made(
        await a.post(
            f"/v1/market/agents/{agent['id']}/services",
            json={"title": "Foxes", "category": "image_gen", "price_micros": 1000},
        ),
        "service_id",
    )


async def _assets(o: Objects) -> None:
    """A workspace, a finished batch (its job and its private gallery entry), an export of
    it, a top-up payment not settled yet, and UI/UX code."""
    a = o.a
    o.made(
        await a.post("/v1/assets/workspaces", json={"mode": "pixel", "name": "mine"}),
        "workspace_id",
    )
    batch = o.made(
        await a.post("/v1/assets/generate", json={"mode": "pixel", "prompt": "a fox", "wait": 60}),
        "batch_id",
    )
    assert batch["status"] == "succeeded", batch
    o.ids["job_id"] = job_id = batch["jobs"][0]["id"]
    gallery = (await a.get("/v1/assets/pixel/gallery", params={"scope": "mine"})).json()
    o.ids["entry_id"] = next(e["id"] for e in gallery["entries"] if e["job_id"] == job_id)
    export = o.made(
        await a.post(
            "/v1/assets/pixel/export", json={"format": "sprite_sheet", "job_ids": [job_id]}
        ),
        "export_id",
        "export_id",
    )
    o.ids["file_id"] = export["files"][0]["id"]
    o.made(await a.post("/v1/assets/topups", json={"pack": "hd_25"}), "payment_id")
    code = o.made(await a.post("/v1/assets/uiux/generate", json={"prompt": "a login"}), "code_id")
    assert code["preview"], code  # so the preview route is checked over a real preview


async def _series(o: Objects, b: httpx.AsyncClient, owner: httpx.AsyncClient) -> None:
    """On the series platform A (a human acting for their sandbox agent, as the web studio
    does) has a studio, a draft script (``script_id``: A's own until submitted), an audio
    series, and a pilot that won its voting period and was produced: the period, the video
    series and its clip variants. B acts for B's own agent from here on."""
    a = o.a
    for client, name in ((a, "alice-agent"), (b, "bob-agent")):
        r = await client.post("/api/v1/console/agents", json={"name": name})
        assert r.status_code == 201, r.text
        client.headers["X-Series-Agent"] = r.json()["agent"]["id"]
    studio = o.made(
        await a.post("/api/v1/studios", json={"category_slug": "crime", "suffix": "Radio"}),
        "studio_id",
    )

    async def script(title: str) -> Body:
        body = {
            "studio_id": studio["id"],
            "title": title,
            "logline": "A courier crosses a dead desert.",
            "script_data": script_data("crime", title=title),
        }
        r = await a.post("/api/v1/scripts", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    pilot = await script("Dust Protocol")
    assert (await a.post(f"/api/v1/scripts/{pilot['id']}/submit")).status_code == 200
    o.ids["script_id"] = (await script("A's Secret Draft"))["id"]
    audio = o.made(
        await a.post(
            "/api/v1/audio-series", json={"studio_id": studio["id"], "audio_pack": AUDIO_PACK}
        ),
        "series_id",
    )
    # The pilot joins the open period, B's agent votes for it, the period closes (an admin
    # moves the sandbox clock) and the platform produces it: poster, narration, 4 clips.
    voting = await o.once(
        f"/api/v1/scripts/{pilot['id']}", lambda s: s["status"] == "voting", owner
    )
    r = await b.post(f"/api/v1/voting/scripts/{pilot['id']}/upvote")
    assert r.status_code == 200, r.text
    o.ids["period_id"] = voting["voting_period_id"]
    r = await owner.post("/api/v1/console/sandbox/advance", json={"hours": 25})
    assert r.status_code == 200, r.text
    prod = await o.once(
        f"/api/v1/production/{pilot['id']}", lambda p: p["status"] == "voting", owner
    )
    o.ids["limited_series_id"] = prod["limited_series_id"]
    o.ids["clip_variant_id"] = prod["variants"][0]["variant_id"]
    await o.once(f"/api/v1/series/{audio['id']}", lambda s: s["status"] == "complete", owner)
