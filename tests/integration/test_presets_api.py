"""The preset API: listing, the form schema and price ranges, quotes, consent refusals
(nothing created), the seed's generate contract (§6.3), repair linking runs."""

from __future__ import annotations

from pathlib import Path

import httpx

from reelforge.container import Container
from tests.integration.preset_helpers import inputs_for, run_preset, upload, uploads
from tests.integration.test_runs_api import wait_run
from tests.media_helpers import make_image


async def _run_count(client: httpx.AsyncClient) -> int:
    return len((await client.get("/v1/runs", params={"limit": 200})).json()["runs"])


async def test_list_and_show_presets(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/v1/presets")).json()["presets"]
    assert len(listed) == 12
    assert {"image_to_video_v1", "repair_pipeline_v1"} <= {p["id"] for p in listed}
    r = await client.get("/v1/presets/image_to_video_v1")
    assert r.status_code == 200, r.text
    shown = r.json()
    schema = shown["input_schema"]
    assert schema["required"] == ["image"]
    assert schema["properties"]["image"]["x-media-kind"] == "image"
    assert schema["properties"]["duration"]["maximum"] == 5
    levels = shown["quality_levels"]
    assert set(levels) == {"low", "standard", "pro"}
    for level in levels.values():
        assert level["price"]["available"] is True and "display" in level["price"]
    # The cheapest option (Runway Gen-4 Turbo, $0.05/s) is asked for 2 s at low, 5 s at pro.
    assert levels["low"]["price"]["min_micros"] == 100_000
    assert levels["pro"]["price"]["min_micros"] == 250_000
    assert levels["pro"]["price"]["known"] is False  # Kling publishes no per-task price
    stray = await client.post(
        "/v1/runs",
        json={
            "pipeline": {"nodes": [{"id": "a", "model": "local/tts", "prompt": "hi"}]},
            "quality": "pro",
        },
    )
    assert stray.status_code == 422 and stray.json()["error"]["detail"]["unknown_fields"] == [
        "quality"
    ]
    missing = await client.get("/v1/presets/nope_v1")
    assert missing.status_code == 404
    assert "image_to_video_v1" in missing.json()["error"]["detail"]["available"]


async def test_quote_a_preset(client: httpx.AsyncClient, tmp_path: Path) -> None:
    image = await upload(client, make_image(tmp_path / "a.png", 64, 64))
    r = await client.post(
        "/v1/presets/image_to_video_v1/quote",
        json={"inputs": {"image": image, "duration": 4}, "quality": "pro"},
    )
    assert r.status_code == 200, r.text
    quote = r.json()
    assert [n["id"] for n in quote["nodes"]] == ["motion", "trim", "upscale"]
    runway = next(o for o in quote["nodes"][0]["options"] if o["model"] == "runway/gen4_turbo")
    assert runway["units"] == 4  # the duration input reached the per-second price
    assert quote["total"]["display"]
    bad = await client.post(
        "/v1/presets/image_to_video_v1/quote", json={"inputs": {"image": image, "colour": 1}}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "CONTRACT_MISMATCH"


async def test_consent_refusal_creates_nothing(client: httpx.AsyncClient, tmp_path: Path) -> None:
    media = await uploads(client, tmp_path)
    before = await _run_count(client)
    for preset, inputs in [
        ("talking_clip_v1", inputs_for("talking_clip_v1", media)),
        ("identity_lock_portrait_v1", inputs_for("identity_lock_portrait_v1", media)),
        ("photoreal_portrait_v1", {"prompt": "a face", "identity_reference": [media["image"]]}),
    ]:
        r = await client.post("/v1/runs", json={"preset": preset, "inputs": inputs})
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "CONSENT_MISSING", error
        assert any("permission" in step for step in error["remediation"])
    assert await _run_count(client) == before
    # Without an identity reference the portrait needs no consent.
    ok = await client.post(
        "/v1/runs", json={"preset": "photoreal_portrait_v1", "inputs": {"prompt": "a face"}}
    )
    assert ok.status_code == 202, ok.text
    assert ok.json()["consent_given"] is False and ok.json()["quality"] == "standard"


async def test_missing_and_wrong_media_are_refused(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    media = await uploads(client, tmp_path)
    r = await client.post(
        "/v1/runs", json={"preset": "image_to_video_v1", "inputs": {"image": "art_missing"}}
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "FILE_NOT_FOUND"
    r = await client.post(
        "/v1/runs", json={"preset": "image_to_video_v1", "inputs": {"image": media["video"]}}
    )
    assert r.status_code == 415 and r.json()["error"]["code"] == "UNSUPPORTED_MEDIA"


async def test_generate_contract_of_the_seed(run_client: httpx.AsyncClient, tmp_path: Path) -> None:
    extra = await run_client.post(
        "/v1/generate",
        json={"preset_id": "photoreal_portrait_v1", "prompt": "a face", "style": "noir"},
    )
    assert extra.status_code == 422
    assert extra.json()["error"]["code"] == "CONTRACT_MISMATCH"
    assert "style" in extra.json()["error"]["detail"]["unknown_fields"]
    for bad in [
        {"preset_id": "photoreal_portrait_v1", "prompt": ""},
        {"preset_id": "photoreal_portrait_v1", "prompt": "x", "quality_level": "ultra"},
        {"preset_id": "photoreal_portrait_v1", "prompt": "x", "seed": -1},
    ]:
        r = await run_client.post("/v1/generate", json=bad)
        assert r.status_code == 422, (bad, r.text)
    face = await upload(run_client, make_image(tmp_path / "f.png", 128, 128))
    refused = await run_client.post(
        "/v1/generate",
        json={"preset_id": "photoreal_portrait_v1", "prompt": "x", "identity_reference": [face]},
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "CONSENT_MISSING"
    r = await run_client.post(
        "/v1/generate",
        json={
            "preset_id": "cinematic_portrait_v1",
            "prompt": "a detective in the rain",
            "negative_prompt": "text",
            "quality_level": "low",
            "seed": 3,
        },
    )
    assert r.status_code == 202, r.text
    answer = r.json()
    assert set(answer) == {
        "job_id", "status", "preset_id", "estimated_time_seconds", "output_url", "error",
    }  # fmt: skip
    assert answer["status"] == "queued" and answer["preset_id"] == "cinematic_portrait_v1"
    # The storyboard's prompt is its template; a field the preset does not take is refused.
    board = await run_client.post(
        "/v1/generate",
        json={
            "preset_id": "storyboard_builder_v1",
            "prompt": "shot {shot_number}",
            "negative_prompt": "x",
        },
    )
    assert board.status_code == 422 and board.json()["error"]["detail"]["unknown_fields"] == [
        "negative_prompt"
    ]
    run = await wait_run(run_client, answer["job_id"])
    assert run["status"] == "succeeded" and run["preset"] == "cinematic_portrait_v1"
    assert run["quality"] == "low" and run["inputs"]["seed"] == 3


async def _kling_fault(container: Container, kind: str) -> None:
    emulator = container.hub.sandbox_endpoints["kling"].client
    r = await emulator.post("/__emulator/faults", json={"kind": kind, "on": "submit", "times": -1})
    assert r.status_code == 201, r.text


async def test_repair_reruns_a_failed_run_on_another_engine_and_links_them(
    run_client: httpx.AsyncClient, running: Container, tmp_path: Path
) -> None:
    media = await uploads(run_client, tmp_path)
    await _kling_fault(running, "moderation")  # a safety refusal never falls back
    failed = await run_preset(
        run_client, "image_to_video_v1", inputs_for("image_to_video_v1", media), "standard"
    )
    assert failed["status"] == "failed", failed
    assert failed["steps"][0]["model"] == "kling/kling-v2-6"
    # The failure is told in the preset's words too (its failure mode for the code).
    assert failed["error"]["code"] == "SAFETY_FILTER"
    assert any("repair_pipeline_v1" in step for step in failed["error"]["preset_remediation"])
    r = await run_client.post(
        "/v1/runs",
        json={
            "preset": "repair_pipeline_v1",
            "inputs": {"failed_job_id": failed["id"], "quality_override": "low"},
        },
    )
    assert r.status_code == 202, r.text
    repaired = await wait_run(run_client, r.json()["id"])
    assert repaired["status"] == "succeeded", repaired
    assert repaired["repair_of"] == failed["id"]
    assert repaired["preset"] == "repair_pipeline_v1" and repaired["quality"] == "low"
    assert repaired["inputs"]["preset"] == "image_to_video_v1"
    assert "kling/kling-v2-6" in repaired["inputs"]["excluded_models"]
    motion = repaired["steps"][0]
    assert motion["model"] != "kling/kling-v2-6" and motion["status"] == "succeeded"
    shown = (await run_client.get(f"/v1/runs/{repaired['id']}")).json()
    assert shown["repair_of"] == failed["id"]
    # A run that succeeded needs no repair; an unknown one is not found.
    again = await run_client.post(
        "/v1/runs",
        json={"preset": "repair_pipeline_v1", "inputs": {"failed_job_id": repaired["id"]}},
    )
    assert again.status_code == 409, again.text
    unknown = await run_client.post(
        "/v1/runs", json={"preset": "repair_pipeline_v1", "inputs": {"failed_job_id": "run_x"}}
    )
    assert unknown.status_code == 404


async def test_repair_of_a_pipeline_run_moves_the_failed_node(
    run_client: httpx.AsyncClient, running: Container
) -> None:
    await _kling_fault(running, "moderation")
    pipeline = {
        "nodes": [
            {"id": "still", "model": "fal/flux-dev", "prompt": "a lighthouse"},
            {
                "id": "move",
                "model": "kling/kling-v2-6",
                "mode": "i2v",
                "prompt": "waves",
                "fallbacks": ["runway/gen4_turbo"],
            },
        ],
        "edges": [{"from": "still", "to": "move"}],
    }
    r = await run_client.post("/v1/runs", json={"pipeline": pipeline})
    failed = await wait_run(run_client, r.json()["id"])
    assert failed["status"] == "failed"
    r = await run_client.post(
        "/v1/runs",
        json={"preset": "repair_pipeline_v1", "inputs": {"failed_job_id": failed["id"]}},
    )
    assert r.status_code == 202, r.text
    repaired = await wait_run(run_client, r.json()["id"])
    assert repaired["status"] == "succeeded", repaired
    assert repaired["repair_of"] == failed["id"]
    steps = {s["node_id"]: s for s in repaired["steps"]}
    assert steps["move"]["model"] == "runway/gen4_turbo"
