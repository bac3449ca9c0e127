"""A character as an identity reference, end to end in sandbox (API + database + runner +
the emulated ComfyUI): its images feed an identity-lock template, consent is required,
and a sandbox whose ComfyUI lacks the extension says exactly what to install before
anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from reelforge.app import open_container
from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.characters import character_id_of
from tests.conftest import make_settings
from tests.helpers import png_bytes
from tests.integration.test_runs_api import wait_run


async def _character(client: httpx.AsyncClient) -> dict:  # type: ignore[type-arg]
    ids = []
    for colour in ((240, 30, 30), (200, 40, 40)):
        r = await client.post("/v1/uploads", files={"file": ("f.png", png_bytes(64, 64, colour))})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = await client.post("/v1/characters", json={"name": "Ava", "reference_images": ids})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_characters_images_drive_an_identity_portrait(
    run_client: httpx.AsyncClient, running: Container, tmp_path: Path
) -> None:
    character = await _character(run_client)
    owner_id = (await run_client.get("/v1/me")).json()["id"]
    cid = character_id_of(character["identity_reference"])
    assert cid is not None
    refs = await running.characters.reference_artifacts(owner_id, cid)
    node = {
        "id": "portrait",
        "model": "comfyui/ipadapter-portrait",
        "prompt": "portrait in a cafe, natural skin",
        "seed": 4,
        "inputs": [{"artifact_id": a, "slot": "reference"} for a in refs],
    }
    refused = await run_client.post("/v1/runs", json={"pipeline": {"nodes": [node]}})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "CONSENT_MISSING"
    r = await run_client.post("/v1/runs", json={"pipeline": {"nodes": [{**node, "consent": True}]}})
    assert r.status_code == 202, r.text
    run = await wait_run(run_client, r.json()["id"], timeout=60)
    assert run["status"] == "succeeded", json.dumps(run, default=str)[:2000]
    out = run["steps"][0]["outputs"][0]
    path = tmp_path / "portrait.png"
    path.write_bytes((await run_client.get(f"/v1/artifacts/{out}/content")).content)
    image = Image.open(path).convert("RGB")
    red, green, _blue = np.asarray(image, dtype=np.float32).reshape(-1, 3).mean(axis=0)
    assert image.height > image.width and red > green + 60  # the character's (red) face


async def test_a_sandbox_without_the_extension_names_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home", comfyui_emulator_extensions="facerestore_cf")
    async with open_container(settings) as container:
        resolved = await container.hub.resolve("comfyui", None)
        provider, credential = resolved.provider, resolved.credential
        assert await provider.missing_dependencies("comfyui/face-restore", credential) == []
        assert await provider.missing_dependencies("comfyui/ipadapter-portrait", credential) == [
            "extension:ComfyUI_IPAdapter_plus"
        ]
        try:
            await provider.check_dependencies("comfyui/instantid-portrait", credential)
        except ReelForgeError as exc:
            assert exc.code is ErrorCode.DEPENDENCY_MISSING
            assert exc.detail["install"][0]["url"] == "https://github.com/cubiq/ComfyUI_InstantID"
        else:
            raise AssertionError("InstantID is not installed in this sandbox")


async def test_a_video_face_pass_runs_in_sandbox_and_keeps_the_sound(
    run_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    from reelforge.emulators.base.render import render_video
    from reelforge.media.probe import probe

    clip = render_video("someone talking", 2, duration=1.5, width=192, height=144, with_audio=True)
    up = await run_client.post("/v1/uploads", files={"file": ("talk.mp4", clip)})
    assert up.status_code == 201, up.text
    node = {
        "id": "faces",
        "model": "comfyui/video-face-restore",
        "params": {"fidelity": 0.8},
        "inputs": [{"artifact_id": up.json()["id"], "slot": "video"}],
    }
    r = await run_client.post("/v1/runs", json={"pipeline": {"nodes": [node]}})
    assert r.status_code == 202, r.text
    run = await wait_run(run_client, r.json()["id"], timeout=90)
    assert run["status"] == "succeeded", json.dumps(run, default=str)[:2000]
    path = tmp_path / "faces.mp4"
    out = run["steps"][0]["outputs"][0]
    path.write_bytes((await run_client.get(f"/v1/artifacts/{out}/content")).content)
    facts = probe(path)
    assert (facts.width, facts.height) == (192, 144) and facts.has_audio
    assert facts.duration is not None and abs(facts.duration - 1.5) < 0.3
