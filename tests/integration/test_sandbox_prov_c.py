"""fal, Replicate, Runware and Sync served by their in-process emulators in sandbox mode."""

from __future__ import annotations

import base64
import io

import av
import httpx
import pytest
from PIL import Image

from reelforge.container import Container
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.base.render import render_audio, render_video
from reelforge.providers.base import GenerationRequest, InputMedia
from reelforge.providers.polling import generate

ENV_VARS = ("FAL_KEY", "REPLICATE_API_TOKEN", "RUNWARE_API_KEY", "SYNC_API_KEY")


async def _owner_id(client: httpx.AsyncClient) -> str:
    return str((await client.get("/v1/me")).json()["id"])


@pytest.mark.parametrize("name", ["fal", "replicate", "runware", "sync"])
async def test_provider_test_route_answers_from_the_sandbox(
    name: str, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    answer = await client.post(f"/v1/providers/{name}/test")
    body = answer.json()
    assert answer.status_code == 200, body
    assert body["ok"] is True and body["sandbox"] is True


async def test_generations_run_in_the_sandbox(
    container: Container, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    owner = await _owner_id(client)
    images = {
        "fal": GenerationRequest(model="fal-ai/flux/schnell", mode=Mode.T2I, prompt="a fox"),
        "replicate": GenerationRequest(
            model="black-forest-labs/flux-schnell", mode=Mode.T2I, prompt="a fox"
        ),
        "runware": GenerationRequest(
            model="runware:100@1", mode=Mode.T2I, prompt="a fox", idempotency_key="s-1"
        ),
    }
    for name, request in images.items():
        resolved = await container.hub.resolve(name, owner)
        result = await generate(resolved.provider, request, resolved.credential, interval=0.1)
        assert result.sandbox, name
        content = (await resolved.provider.client.get(result.url)).content
        assert Image.open(io.BytesIO(content)).size[0] > 0, name
    resolved = await container.hub.resolve("sync", owner)
    video = render_video("face", 1, duration=1.0)
    audio = render_audio("hello there", duration=1.0)
    lipsync = GenerationRequest(
        model="lipsync-2",
        mode=Mode.LIPSYNC,
        inputs=[
            InputMedia(
                kind=MediaKind.VIDEO,
                url="data:video/mp4;base64," + base64.b64encode(video).decode(),
            ),
            InputMedia(
                kind=MediaKind.AUDIO,
                url="data:audio/wav;base64," + base64.b64encode(audio).decode(),
            ),
        ],
    )
    result = await generate(resolved.provider, lipsync, resolved.credential, interval=0.1)
    content = (await resolved.provider.client.get(result.url)).content
    with av.open(io.BytesIO(content)) as container_file:
        assert [s.type for s in container_file.streams] == ["video", "audio"]
