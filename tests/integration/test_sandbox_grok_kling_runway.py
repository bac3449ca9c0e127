"""xAI Grok, Kling and Runway served by their in-process emulators in sandbox mode: no key,
no network, results labelled sandbox, outputs fetched through the safe fetcher."""

from __future__ import annotations

import io

import av
import httpx
import pytest
from PIL import Image

from reelforge.container import Container
from reelforge.domain.modes import Mode
from reelforge.providers.base import GenerationRequest
from reelforge.providers.hub import Connection
from reelforge.providers.polling import generate

ENV_VARS = (
    "XAI_API_KEY",
    "KLING_ACCESS_KEY",
    "KLING_SECRET_KEY",
    "RUNWAY_API_KEY",
    "RUNWAYML_API_SECRET",
)
REQUESTS = {
    "grok": GenerationRequest(model="grok-2-image", mode=Mode.T2I, prompt="a quiet harbour"),
    "kling": GenerationRequest(
        model="kling-v2-5-turbo", mode=Mode.T2V, prompt="a quiet harbour", params={"duration": "5"}
    ),
    "runway": GenerationRequest(
        model="gen4.5",
        mode=Mode.T2V,
        prompt="a quiet harbour",
        params={"ratio": "1280:720", "duration": 2},
    ),
}


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_sandbox_generates_real_media(container: Container, name: str) -> None:
    resolved = await container.hub.resolve(name, None)
    assert resolved.connection is Connection.SANDBOX
    result = await generate(
        resolved.provider, REQUESTS[name], resolved.credential, timeout=60, interval=0.2
    )
    assert result.sandbox
    # Outputs are re-hosted through the safe fetcher, which reaches the in-process emulator.
    fetched = await container.fetcher.fetch_to(
        result.url, container.artifacts.writer(), kinds=[result.media_type]
    )
    assert fetched.kind is result.media_type
    data = (await resolved.provider.client.get(result.url)).content
    if REQUESTS[name].mode is Mode.T2I:
        Image.open(io.BytesIO(data)).verify()
    else:
        with av.open(io.BytesIO(data)) as video:
            assert video.streams.video and video.duration
    assert await resolved.provider.verify(resolved.credential)


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_provider_test_route_answers_from_the_sandbox(
    name: str, client: httpx.AsyncClient
) -> None:
    answer = await client.post(f"/v1/providers/{name}/test")
    body = answer.json()
    assert answer.status_code == 200, body
    assert body["ok"] is True and body["sandbox"] is True
