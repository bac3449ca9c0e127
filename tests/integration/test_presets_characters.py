"""A character as a preset's identity reference: its images feed the run, consent is
recorded with it, and another user's character is not found."""

from __future__ import annotations

import httpx

from reelforge.container import Container
from tests.helpers import png_bytes
from tests.integration.test_runs_api import wait_run


async def _character(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    ids = []
    for colour in ((240, 30, 30), (30, 30, 240)):
        r = await client.post("/v1/uploads", files={"file": ("f.png", png_bytes(64, 64, colour))})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = await client.post("/v1/characters", json={"name": "Ava", "reference_images": ids})
    assert r.status_code == 201, r.text
    return r.json()["identity_reference"], ids


def _body(reference: str) -> dict[str, object]:
    return {
        "preset": "identity_lock_portrait_v1",
        "inputs": {"prompt": "a portrait by a window", "identity_reference": [reference]},
        "quality": "low",
        "consent_given": True,
    }


async def test_a_character_is_a_presets_identity_reference(
    run_client: httpx.AsyncClient, running: Container
) -> None:
    reference, images = await _character(run_client)
    r = await run_client.post("/v1/runs", json=_body(reference))
    assert r.status_code in (201, 202), r.text
    run = await wait_run(run_client, r.json()["id"])
    assert run["status"] == "succeeded", run.get("error")
    assert run["consent_given"] is True and run["preset"] == "identity_lock_portrait_v1"
    used = {i.get("artifact_id") for s in run["steps"] for i in s.get("inputs", [])}
    pipeline = (await run_client.get(f"/v1/runs/{run['id']}/pipeline")).json()
    given = {
        i.get("artifact_id")
        for n in pipeline.get("pipeline", pipeline).get("nodes", [])
        for i in n.get("inputs", [])
    }
    assert images[0] in given | used  # the character's photo is what the run was given


async def test_another_users_character_is_not_found(
    run_client: httpx.AsyncClient, running: Container
) -> None:
    reference, _ = await _character(run_client)
    r = await run_client.post("/v1/users", json={"name": "mia", "role": "member"})
    assert r.status_code == 201, r.text
    k = await run_client.post(f"/v1/users/{r.json()['id']}/keys", json={"label": "mia"})
    assert k.status_code == 201, k.text
    key = k.json()["key"]
    other = httpx.AsyncClient(
        transport=run_client._transport,  # the same app, another user's key
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {key}"},
    )
    async with other:
        refused = await other.post("/v1/runs", json=_body(reference))
    assert refused.status_code == 404, refused.text
    assert refused.json()["error"]["code"] == "NOT_FOUND"


async def test_comfyui_templates_the_server_cannot_run_are_not_available(
    tmp_path: object,
) -> None:
    """A ComfyUI without the IP-Adapter extension: the preset's ComfyUI identity engine is
    not available (routing moves on), with the extension named; with it, it is."""
    from pathlib import Path

    from reelforge.app import open_container
    from reelforge.storage import identity
    from tests.conftest import make_settings

    assert isinstance(tmp_path, Path)
    for extensions, lacking in (("none", True), ("all", False)):
        settings = make_settings(tmp_path / extensions, comfyui_emulator_extensions=extensions)
        async with open_container(settings) as container:
            presets = container.extras["presets"]
            async with container.db.session() as session:
                owner = await identity.find_owner(session)
            assert owner is not None
            available = await presets.availability(
                owner.id, presets.library.get("identity_lock_portrait_v1")
            )
            why = available("comfyui/ipadapter-portrait")
            if lacking:
                assert why is not None and "ComfyUI_IPAdapter_plus" in why, why
            else:
                assert why is None, why
            assert available("kling/kling-v1-5-image") is None
