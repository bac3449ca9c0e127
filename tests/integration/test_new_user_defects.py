"""What a new user met in the first hour (issue 18, item 10): each answer says what is true."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.emulators.fal import SANDBOX_CREDENTIAL as FAL_KEY
from tests.conftest import make_settings
from tests.helpers import png_bytes
from tests.media_helpers import make_tone, make_video


@pytest.fixture
async def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    # fal is live and priced; nothing is submitted (the runner is not started).
    monkeypatch.setenv("FAL_KEY", FAL_KEY["api_key"])
    settings = make_settings(tmp_path / "h", provider_base_urls={"fal": "http://127.0.0.1:9"})
    async with open_container(settings) as container:
        key = settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
        ) as c:
            yield c


def _images(n: int) -> dict[str, object]:
    nodes = [{"id": f"n{i}", "model": "fal/flux-dev", "prompt": f"shot {i}"} for i in range(n)]
    return {"pipeline": {"nodes": nodes}}


@pytest.fixture
async def member_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """A member on the lent environment keys: plan credits pay (the owner's are its own)."""
    from reelforge.domain.identity import Role
    from reelforge.storage import identity

    monkeypatch.setenv("FAL_KEY", FAL_KEY["api_key"])
    settings = make_settings(tmp_path / "m", provider_base_urls={"fal": "http://127.0.0.1:9"})
    async with open_container(settings) as container:
        async with container.db.transaction() as session:
            user = await identity.create_user(session, "member", Role.MEMBER)
            _row, key = await identity.create_api_key(session, user.id)
        transport = httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
        ) as c:
            yield c


async def test_insufficient_funds_names_no_run_that_was_never_made(
    member_live: httpx.AsyncClient,
) -> None:
    live = member_live
    r = await live.post("/v1/runs", json=_images(60))  # more than the Free plan's $1
    assert r.status_code == 402
    error = r.json()["error"]
    assert error["code"] == "INSUFFICIENT_FUNDS"
    assert "run_id" not in error["detail"] and "run_" not in error["message"]
    assert error["detail"]["needed_micros"] > error["detail"]["available_micros"]
    assert (await live.get("/v1/runs")).json()["runs"] == []


async def test_a_reused_idempotency_key_with_another_body_is_a_conflict(
    live: httpx.AsyncClient,
) -> None:
    key = {"Idempotency-Key": "order-17"}
    body = {"model": "fal/flux-dev", "prompt": "a red fox"}
    first = await live.post("/v1/generations", json=body, headers=key)
    assert first.status_code == 202, first.text
    again = await live.post("/v1/generations", json=dict(reversed(body.items())), headers=key)
    assert again.json()["id"] == first.json()["id"]  # the same body (in any key order)
    other = await live.post("/v1/generations", json={**body, "prompt": "a blue fox"}, headers=key)
    assert other.status_code == 409, other.text
    assert other.json()["error"]["code"] == "CONFLICT"
    assert other.json()["error"]["detail"]["idempotency_key"] == "order-17"


async def test_a_queued_sandbox_run_says_so(client: httpx.AsyncClient) -> None:
    body = {"model": "kling/t2v_5s", "prompt": "a red fox"}
    sandboxed = (await client.post("/v1/generations", json=body)).json()
    assert sandboxed["status"] == "queued" and sandboxed["sandbox"] is True
    assert sandboxed["steps"][0]["sandbox"] is True
    again = (await client.get(f"/v1/runs/{sandboxed['id']}")).json()
    assert again["sandbox"] is True


async def test_a_queued_live_run_says_it_is_not_sandboxed(live: httpx.AsyncClient) -> None:
    body = {"model": "fal/flux-dev", "prompt": "a red fox"}
    real = (await live.post("/v1/generations", json=body)).json()
    assert real["status"] == "queued" and real["sandbox"] is False


async def test_an_artifact_shows_no_server_path(
    client: httpx.AsyncClient, container: Container
) -> None:
    up = await client.post("/v1/uploads", files={"file": ("a.png", png_bytes(), "image/png")})
    art = (await client.get(f"/v1/artifacts/{up.json()['id']}")).json()
    for answer in (up.json(), art):
        assert "path" not in answer
        assert str(container.settings.home) not in str(answer)
    assert art["url"] == f"/v1/artifacts/{art['id']}/content"


async def test_unknown_query_parameters_are_refused(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/runs", params={"limt": 5})
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["detail"]["unknown_query"] == ["limt"]
    assert {"before", "limit", "status", "q"} <= set(error["detail"]["allowed_query"])
    assert (await client.get("/v1/runs", params={"limit": 5})).status_code == 200
    me = await client.get("/v1/me", params={"verbose": 1})
    assert me.status_code == 422 and me.json()["error"]["detail"]["allowed_query"] == []
    models = await client.get("/v1/models", params={"mode": "t2i", "colour": "red"})
    assert models.json()["error"]["detail"]["unknown_query"] == ["colour"]


async def test_remediation_fits_the_error(client: httpx.AsyncClient) -> None:
    missing = (await client.put("/v1/providers/fal/credential", json={})).json()["error"]
    assert missing["code"] == "CONTRACT_MISMATCH"
    steps = " ".join(missing["remediation"])
    assert "Remove" not in steps and "Add the required field(s): values." in steps
    unknown = await client.post("/v1/generations", json={"model": "fal/nope", "prompt": "x"})
    assert unknown.status_code == 404
    steps = " ".join(unknown.json()["error"]["remediation"])
    assert "owner" not in steps and "/v1/models" in steps


async def test_messages_read_correctly(client: httpx.AsyncClient, tmp_path: Path) -> None:
    tone = make_tone(tmp_path / "t.wav", seconds=0.5)
    audio = await client.post("/v1/uploads", files={"file": ("t.wav", tone.read_bytes())})
    r = await client.post(
        "/v1/generations",
        json={
            "model": "fal/wan-i2v",
            "prompt": "x",
            "inputs": [{"artifact_id": audio.json()["id"]}],
        },
    )
    assert r.status_code == 422, r.text
    assert "a image" not in r.text and "an image" in r.text


async def test_direct_inputs_are_provenance_parents_and_a_finished_run_cannot_be_canceled(
    run_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=1.0, audio=False)
    up = await run_client.post("/v1/uploads", files={"file": ("c.mp4", clip.read_bytes())})
    r = await run_client.post(
        "/v1/generations",
        json={"model": "local/film-grain", "inputs": [{"artifact_id": up.json()["id"]}]},
        headers={"Prefer": "wait=60"},
    )
    run = r.json()
    assert run["status"] == "succeeded", run
    out = (await run_client.get(run["outputs"][0]["url"].removesuffix("/content"))).json()
    assert out["provenance"]["parents"] == [up.json()["id"]]
    cancel = await run_client.post(f"/v1/runs/{run['id']}/cancel")
    assert cancel.status_code == 409
    message = cancel.json()["error"]["message"]
    assert "is already" not in message and "has already succeeded" in message
