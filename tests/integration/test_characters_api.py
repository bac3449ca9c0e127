"""/v1/characters over HTTP and the service presets call: the seed's strict §6.2 contract,
reference images and voices checked against what the caller really stored, one owner's
characters invisible to everyone else, and delete semantics."""

from __future__ import annotations

import io
import wave
from typing import Any

import httpx
import numpy as np
import pytest

from reelforge.container import Container
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.engine.characters import character_id_of
from tests.helpers import png_bytes


def wav_bytes(seconds: float = 0.5, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    samples = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


async def upload(client: httpx.AsyncClient, data: bytes, name: str, **kw: Any) -> str:
    r = await client.post("/v1/uploads", files={"file": (name, data)}, **kw)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def photos(client: httpx.AsyncClient, n: int, **kw: Any) -> list[str]:
    colors = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (90, 90, 90)]
    return [
        await upload(client, png_bytes(32, 32, colors[i]), f"face{i}.png", **kw) for i in range(n)
    ]


def err(r: httpx.Response) -> dict[str, Any]:
    body = r.json()
    assert set(body["error"]) >= {"code", "message", "remediation", "detail", "request_id"}
    return body["error"]  # type: ignore[no-any-return]


async def other_user(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post("/v1/users", json={"name": "Bea"})
    assert r.status_code == 201, r.text
    k = await client.post(f"/v1/users/{r.json()['id']}/keys", json={})
    assert k.status_code == 201, k.text
    return {"Authorization": f"Bearer {k.json()['key']}"}


async def test_the_seed_contract_creates_and_answers_its_response(
    client: httpx.AsyncClient,
) -> None:
    # The seed's request exactly as written (§6.2): only name is required.
    r = await client.post(
        "/v1/characters",
        json={"name": "Ava", "description": "A barista", "avatar_url": None, "metadata": {}},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert {"id", "name", "description", "avatar_url", "created_at", "updated_at"} <= set(body)
    assert body["name"] == "Ava" and body["description"] == "A barista"
    assert body["reference_images"] == [] and body["voice"] is None
    assert body["identity_reference"] == f"character:{body['id']}"
    assert body["id"].startswith("chr_")


async def test_images_and_voice_round_trip(client: httpx.AsyncClient) -> None:
    ids = await photos(client, 3)
    voice = await upload(client, wav_bytes(), "voice.wav")
    r = await client.post(
        "/v1/characters",
        json={
            "name": "  Ava  ",
            "reference_images": ids,
            "voice": voice,
            "metadata": {"tags": ["host"], "age": 31},
        },
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["name"] == "Ava" and made["reference_images"] == ids
    assert made["voice"] == voice and made["voice_kind"] == "audio"
    assert made["avatar_url"] == f"/v1/artifacts/{ids[0]}/content"
    assert made["metadata"] == {"tags": ["host"], "age": 31}
    got = (await client.get(f"/v1/characters/{made['id']}")).json()
    assert got == made
    # A TTS voice id the local TTS knows is accepted as well.
    r = await client.patch(f"/v1/characters/{made['id']}", json={"voice": "en_US-joe-medium"})
    assert r.status_code == 200 and r.json()["voice_kind"] == "tts"


async def test_unknown_fields_and_bad_values_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient,
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "Ava", "age": 3}, "CONTRACT_MISMATCH"),
        ({"description": "no name"}, "CONTRACT_MISMATCH"),
        ({"name": ""}, "VALIDATION_ERROR"),
        ({"name": "x" * 101}, "VALIDATION_ERROR"),
        ({"name": "Ava", "description": "d" * 1001}, "VALIDATION_ERROR"),
        ({"name": "Ava", "avatar_url": "javascript:alert(1)"}, "VALIDATION_ERROR"),
        ({"name": "Ava", "reference_images": ["a", "b", "c", "d"]}, "VALIDATION_ERROR"),
        ({"name": "Ava", "metadata": {"blob": "x" * 20_000}}, "VALIDATION_ERROR"),
        ({"name": "   "}, "VALIDATION_ERROR"),
    ]
    for body, code in cases:
        r = await client.post("/v1/characters", json=body)
        assert r.status_code == 422, (body, r.text)
        assert err(r)["code"] == code, body
    assert (await client.get("/v1/characters")).json()["characters"] == []


async def test_reference_images_must_be_the_callers_images(client: httpx.AsyncClient) -> None:
    (photo,) = await photos(client, 1)
    audio = await upload(client, wav_bytes(), "v.wav")
    bea = await other_user(client)
    (beas_photo,) = await photos(client, 1, headers=bea)

    async def refused(body: dict[str, Any]) -> dict[str, Any]:
        r = await client.post("/v1/characters", json={"name": "Ava", **body})
        assert r.status_code == 422, r.text
        return err(r)

    e = await refused({"reference_images": [photo, "art_doesnotexist"]})
    assert e["code"] == "VALIDATION_ERROR" and e["detail"]["field"] == "reference_images[1]"
    # Someone else's image reads exactly as one that does not exist.
    e2 = await refused({"reference_images": [beas_photo]})
    assert e2["detail"]["field"] == "reference_images[0]" and "no artifact" in e2["message"]
    e = await refused({"reference_images": [audio]})
    assert "not an image" in e["message"]
    e = await refused({"reference_images": [photo, photo]})
    assert e["detail"]["field"] == "reference_images"
    e = await refused({"voice": photo})
    assert e["detail"]["field"] == "voice" and "not audio" in e["message"]
    e = await refused({"voice": "xx_XX-nobody-low"})
    assert e["detail"]["field"] == "voice" and "en_US-joe-medium" in e["detail"]["available"]
    assert (await client.get("/v1/characters")).json()["characters"] == []


async def test_patch_changes_only_what_is_sent(client: httpx.AsyncClient) -> None:
    ids = await photos(client, 2)
    made = (
        await client.post(
            "/v1/characters",
            json={"name": "Ava", "description": "d", "reference_images": ids[:1]},
        )
    ).json()
    url = f"/v1/characters/{made['id']}"
    r = await client.patch(
        url, json={"reference_images": ids, "avatar_url": "https://x.test/a.png"}
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["name"] == "Ava" and changed["description"] == "d"
    assert changed["reference_images"] == ids and changed["avatar_url"] == "https://x.test/a.png"
    assert changed["updated_at"] > made["updated_at"]
    assert changed["created_at"] == made["created_at"]
    r = await client.patch(url, json={"description": None})
    assert r.status_code == 200 and r.json()["description"] is None
    # A bad change leaves everything as it was.
    for body in ({"name": None}, {"colour": "red"}, {"reference_images": ["art_nope"]}):
        r = await client.patch(url, json=body)
        assert r.status_code == 422, (body, r.text)
    after = (await client.get(url)).json()
    assert after["reference_images"] == ids and after["name"] == "Ava"


async def test_nobody_sees_another_users_characters(
    client: httpx.AsyncClient, container: Container
) -> None:
    bea = await other_user(client)
    beas = await photos(client, 1, headers=bea)
    theirs = await client.post(
        "/v1/characters", json={"name": "Bea's", "reference_images": beas}, headers=bea
    )
    assert theirs.status_code == 201, theirs.text
    cid = theirs.json()["id"]
    mine = (await client.post("/v1/characters", json={"name": "Mine"})).json()
    listing = (await client.get("/v1/characters")).json()["characters"]
    assert [c["id"] for c in listing] == [mine["id"]]
    for method, body in (("GET", None), ("PATCH", {"name": "stolen"}), ("DELETE", None)):
        r = await client.request(method, f"/v1/characters/{cid}", json=body)
        assert r.status_code == 404 and err(r)["code"] == "NOT_FOUND", method
        ghost = await client.request(method, "/v1/characters/chr_nothere", json=body)
        assert ghost.status_code == 404 and err(ghost)["message"].startswith("No character")
    still = await client.get(f"/v1/characters/{cid}", headers=bea)
    assert still.status_code == 200 and still.json()["name"] == "Bea's"
    owner = (await client.get("/v1/me")).json()
    with pytest.raises(ReelForgeError) as info:
        await container.characters.reference_artifacts(owner["id"], cid)
    assert info.value.code is ErrorCode.NOT_FOUND


async def test_reference_artifacts_turn_a_character_into_its_images(
    client: httpx.AsyncClient, container: Container
) -> None:
    ids = await photos(client, 2)
    made = (
        await client.post("/v1/characters", json={"name": "Ava", "reference_images": ids})
    ).json()
    owner_id = (await client.get("/v1/me")).json()["id"]
    cid = character_id_of(made["identity_reference"])
    assert cid == made["id"] and character_id_of("art_123") is None
    assert await container.characters.reference_artifacts(owner_id, cid) == ids
    empty = (await client.post("/v1/characters", json={"name": "No face"})).json()
    with pytest.raises(ReelForgeError) as info:
        await container.characters.reference_artifacts(owner_id, empty["id"])
    assert info.value.code is ErrorCode.VALIDATION_ERROR
    assert info.value.detail["field"] == "identity_reference"


async def test_delete_removes_the_character_but_keeps_its_media(
    client: httpx.AsyncClient,
) -> None:
    ids = await photos(client, 1)
    made = (
        await client.post("/v1/characters", json={"name": "Ava", "reference_images": ids})
    ).json()
    url = f"/v1/characters/{made['id']}"
    r = await client.delete(url)
    assert r.status_code == 204 and r.content == b""
    assert (await client.get(url)).status_code == 404
    again = await client.delete(url)
    assert again.status_code == 404 and err(again)["code"] == "NOT_FOUND"
    assert (await client.get("/v1/characters")).json()["characters"] == []
    # The photo is still the owner's artifact, and a new character can use it.
    assert (await client.get(f"/v1/artifacts/{ids[0]}")).status_code == 200
    r = await client.post("/v1/characters", json={"name": "Ava 2", "reference_images": ids})
    assert r.status_code == 201


async def test_list_pages_and_refuses_unknown_query(client: httpx.AsyncClient) -> None:
    made = [
        (await client.post("/v1/characters", json={"name": f"c{i}"})).json()["id"] for i in range(3)
    ]
    first = (await client.get("/v1/characters", params={"limit": 2})).json()
    assert [c["id"] for c in first["characters"]] == made[:2] and first["next_after"] == made[1]
    rest = (await client.get("/v1/characters", params={"after": first["next_after"]})).json()
    assert [c["id"] for c in rest["characters"]] == made[2:] and rest["next_after"] is None
    r = await client.get("/v1/characters", params={"limt": 2})
    assert r.status_code == 422 and err(r)["code"] == "VALIDATION_ERROR"


async def test_identity_images_mix_characters_and_artifacts(
    client: httpx.AsyncClient, container: Container
) -> None:
    ids = await photos(client, 4)
    made = (
        await client.post("/v1/characters", json={"name": "Ava", "reference_images": ids[:2]})
    ).json()
    owner_id = (await client.get("/v1/me")).json()["id"]
    service = container.characters
    ref = made["identity_reference"]
    assert await service.identity_images(owner_id, [ref, ids[2], ids[0]]) == ids[:3]
    with pytest.raises(ReelForgeError) as info:
        await service.identity_images(owner_id, [ref, ids[2], ids[3]])
    assert info.value.detail["field"] == "identity_reference"
    with pytest.raises(ReelForgeError) as info:
        await service.identity_images(owner_id, ["art_notmine"])
    assert info.value.code is ErrorCode.VALIDATION_ERROR
    with pytest.raises(ReelForgeError) as info:
        await service.identity_images(owner_id, ["character:chr_nothere"])
    assert info.value.code is ErrorCode.NOT_FOUND
