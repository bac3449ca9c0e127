"""Issue 18 end to end (API + database + runner + sandbox emulators): list slots join clips,
lay out shots and fill Atlas ``images`` arrays; the node's prompt reaches every model;
prompt and required-field checks refuse before any provider is called; planner warnings
are in the answers and the run view."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from reelforge.container import Container
from reelforge.emulators.base import EmulatorState
from reelforge.media.probe import probe
from tests.helpers import png_bytes
from tests.integration.test_runs_api import wait_run


def emulator(container: Container, provider: str) -> EmulatorState:
    transport: Any = container.hub.sandbox_endpoints[provider].client._transport
    state: EmulatorState = transport.app.state.emulator
    return state


async def _upload(client: httpx.AsyncClient, name: str, content: bytes) -> str:
    r = await client.post("/v1/uploads", files={"file": (name, content)})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _download(client: httpx.AsyncClient, artifact_id: str, path: Path) -> Path:
    path.write_bytes((await client.get(f"/v1/artifacts/{artifact_id}/content")).content)
    return path


async def test_concat_of_two_sandbox_videos_lasts_as_long_as_both(
    run_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    pipeline = {
        "nodes": [
            {"id": "one", "model": "fal/wan-t2v", "prompt": "waves at dawn", "seed": 1},
            {"id": "two", "model": "fal/wan-t2v", "prompt": "waves at dusk", "seed": 2},
            {"id": "cut", "model": "local/concat"},
        ],
        "edges": [{"from": "one", "to": "cut"}, {"from": "two", "to": "cut"}],
    }
    r = await run_client.post("/v1/runs", json={"pipeline": pipeline})
    assert r.status_code == 202, r.text
    run = await wait_run(run_client, r.json()["id"], timeout=120)
    assert run["status"] == "succeeded", json.dumps(run, default=str)[:3000]
    steps = {s["node_id"]: s for s in run["steps"]}
    assert steps["cut"]["depends_on"] == ["one", "two"]
    parts = [
        probe(await _download(run_client, steps[n]["outputs"][0], tmp_path / f"{n}.mp4"))
        for n in ("one", "two")
    ]
    joined = probe(await _download(run_client, steps["cut"]["outputs"][0], tmp_path / "cut.mp4"))
    total = sum(p.duration or 0 for p in parts)
    assert total > 0 and abs((joined.duration or 0) - total) < 0.15, (parts, joined)


async def test_storyboard_of_three_uploaded_images(run_client: httpx.AsyncClient) -> None:
    shots = [
        await _upload(run_client, f"s{n}.png", png_bytes(64, 36, color))
        for n, color in enumerate([(200, 0, 0), (0, 200, 0), (0, 0, 200)])
    ]
    r = await run_client.post(
        "/v1/generations",
        json={
            "model": "local/storyboard",
            "params": {"captions": "red\ngreen\nblue", "cell_width": 160, "columns": 3},
            "inputs": [{"artifact_id": a} for a in shots],
        },
        headers={"Prefer": "wait=60"},
    )
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "succeeded", json.dumps(run, default=str)[:2000]
    content = (await run_client.get(run["outputs"][0]["url"])).content
    sheet = Image.open(io.BytesIO(content)).convert("RGB")
    gap, cell = 16, 160
    assert sheet.width == 3 * cell + 4 * gap
    # Each panel, in upload order, shows its own colour.
    centre_y = gap + 45  # a 16:9 panel 160 px wide is 90 px high
    colours = [sheet.getpixel((gap + n * (cell + gap) + cell // 2, centre_y)) for n in range(3)]
    assert [max(range(3), key=lambda i: c[i]) for c in colours] == [0, 1, 2]  # type: ignore[index]


async def test_an_atlas_images_array_receives_every_image(
    running: Container, run_client: httpx.AsyncClient
) -> None:
    images = [
        await _upload(run_client, f"i{n}.png", png_bytes(16, 16, (n * 60, 10, 10)))
        for n in range(3)
    ]
    r = await run_client.post(
        "/v1/generations",
        json={
            "model": "atlas/google/nano-banana/edit",
            "prompt": "put them together",
            "inputs": [{"artifact_id": a} for a in images],
        },
        headers={"Prefer": "wait=60"},
    )
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "succeeded", json.dumps(run, default=str)[:2000]
    task = emulator(running, "atlas").tasks.get(run["steps"][0]["task_id"])
    assert task is not None
    sent = task.params["images"]
    assert isinstance(sent, list) and len(sent) == 3 and len(set(sent)) == 3
    assert task.params["prompt"] == "put them together"


async def test_atlas_takes_the_nodes_prompt(
    running: Container, run_client: httpx.AsyncClient
) -> None:
    # `reelforge generate --model atlas/google/imagen4 --prompt "a fox"` (was "needs: prompt").
    r = await run_client.post(
        "/v1/generations",
        json={"model": "atlas/google/imagen4", "prompt": "a fox", "seed": 5},
        headers={"Prefer": "wait=60"},
    )
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "succeeded", json.dumps(run, default=str)[:2000]
    task = emulator(running, "atlas").tasks.get(run["steps"][0]["task_id"])
    assert task is not None and task.prompt == "a fox" and task.params["seed"] == 5


async def test_params_prompt_is_the_prompt_on_a_curated_model(
    run_client: httpx.AsyncClient,
) -> None:
    r = await run_client.post(
        "/v1/generations",
        json={"model": "together/flux-1-schnell", "params": {"prompt": "a fox"}},
        headers={"Prefer": "wait=60"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "succeeded"


async def test_prompt_checks_refuse_before_any_provider_call(
    running: Container, run_client: httpx.AsyncClient
) -> None:
    kling = emulator(running, "kling")
    before = kling.tasks.submissions["total"]
    long = await run_client.post(
        "/v1/generations", json={"model": "kling/t2v_5s", "prompt": "x" * 2501}
    )
    assert long.status_code == 422, long.text
    err = long.json()["error"]
    assert err["code"] == "VALIDATION_ERROR"
    assert err["detail"]["problems"][0]["field"] == "prompt"
    assert "at most 2500" in err["message"]
    none = await run_client.post("/v1/generations", json={"model": "kling/t2v_5s"})
    assert none.status_code == 422 and none.json()["error"]["detail"]["problems"][0] == {
        "code": "VALIDATION_ERROR",
        "message": "kling/t2v_5s (Text→Video) needs a prompt; the node has none",
        "node": "gen",
        "field": "prompt",
    }
    assert kling.tasks.submissions["total"] == before
    assert (await run_client.get("/v1/runs")).json()["runs"] == [], "nothing was stored"


async def test_the_server_prompt_cap_is_a_setting(tmp_path: Path, monkeypatch: Any) -> None:
    from reelforge.app import api_app, open_container
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "home", max_prompt_chars=10)
    async with open_container(settings) as container:
        key = container.settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
        ) as client:
            r = await client.post(
                "/v1/runs",
                json={
                    "pipeline": {
                        "nodes": [{"id": "a", "model": "fal/flux-dev", "prompt": "y" * 11}]
                    }
                },
            )
    assert r.status_code == 422, r.text
    assert "REELFORGE_MAX_PROMPT_CHARS" in r.json()["error"]["message"]


async def test_warnings_in_the_answers_and_the_run_view(run_client: httpx.AsyncClient) -> None:
    pipeline = {
        "nodes": [
            {"id": "still", "model": "together/flux-1-schnell", "prompt": "a fox"},
            {"id": "again", "model": "together/flux-1-schnell", "prompt": "a cat"},
        ],
        "edges": [{"from": "still", "to": "again"}],
    }
    expected = "again: Text→Image ignores incoming media (the edge from 'still')"
    r = await run_client.post("/v1/runs", json={"pipeline": pipeline})
    assert r.status_code == 202, r.text
    assert r.json()["warnings"] == [expected]
    run = await wait_run(run_client, r.json()["id"])
    assert run["warnings"] == [expected]
    again = next(s for s in run["steps"] if s["node_id"] == "again")
    assert again["warnings"] == [expected.split(": ", 1)[1]]

    image = await _upload(run_client, "x.png", png_bytes(16, 16))
    gen = await run_client.post(
        "/v1/generations",
        json={
            "model": "together/flux-1-schnell",
            "prompt": "a fox",
            "inputs": [{"artifact_id": image}],
        },
    )
    assert gen.status_code == 202, gen.text
    assert gen.json()["warnings"] == [
        f"gen: Text→Image ignores incoming media (the uploaded image {image!r})"
    ]
    view = (await run_client.get(f"/v1/runs/{gen.json()['id']}")).json()
    assert view["warnings"] == gen.json()["warnings"]


async def test_routing_leaves_out_models_whose_prompt_limit_is_too_small(
    running: Container, run_client: httpx.AsyncClient
) -> None:
    prompt = "a long storm at sea, " * 80  # 1680 characters: over Runway's 1000
    r = await run_client.post(
        "/v1/quotes",
        json={
            "nodes": [
                {"id": "v", "capability": {"mode": "t2v", "max_candidates": 3}, "prompt": prompt}
            ]
        },
    )
    assert r.status_code == 200, r.text
    chosen = [r.json()["nodes"][0]["model"]] + [
        o["model"] for o in r.json()["nodes"][0]["options"][1:]
    ]
    assert r.json()["nodes"][0]["routing"]["chosen"] == chosen
    for model_id in chosen:
        limit = (await running.catalog.get(model_id)).limits.max_prompt_chars
        assert limit is None or limit >= len(prompt), model_id
    run = await run_client.post(
        "/v1/runs",
        json={
            "pipeline": {"nodes": [{"id": "v", "capability": {"mode": "t2v"}, "prompt": prompt}]}
        },
    )
    assert run.status_code == 202, run.text
    # Runway (the best-scored, 1000 characters at most) is left out, not chosen and refused.
    step = (await run_client.get(f"/v1/runs/{run.json()['id']}")).json()["steps"][0]
    assert not any(m.startswith("runway/") for m in step["route"]["options"]), step["route"]
