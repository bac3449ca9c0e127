"""Every marketplace service model of grok, kling and runway, run as the catalog describes it
(provider model + fixed params + schema defaults + one input per required slot) through its
adapter against its emulator, ends in real media."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import av
import httpx
import pytest
from PIL import Image

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.modes import MediaKind
from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.base.render import render_audio
from reelforge.providers.base import Credential, GenerationRequest, InputMedia
from reelforge.providers.plugins import load_registry
from reelforge.providers.polling import generate
from tests.helpers import png_bytes, serve_asgi

PROVIDERS = ("grok", "kling", "runway")


def _entries() -> list[ModelEntry]:
    found = []
    for provider in PROVIDERS:
        text = resources.files("reelforge.catalog").joinpath(f"data/{provider}.json").read_text()
        found += [ModelEntry.model_validate(e) for e in json.loads(text)]
    return [e for e in found if "marketplace" in e.tags]


@pytest.fixture(scope="module")
def emulators() -> Iterator[dict[str, str]]:
    urls: dict[str, str] = {}
    config = EmulatorConfig(queue_seconds=0.05, run_seconds=0.2, image_run_seconds=0.05)
    with (
        serve_asgi(registry.load("grok").create_app(config)) as grok,
        serve_asgi(registry.load("kling").create_app(config)) as kling,
        serve_asgi(registry.load("runway").create_app(config)) as runway,
    ):
        urls.update(grok=grok, kling=kling, runway=runway)
        yield urls


def _input(kind: MediaKind) -> str:
    if kind is MediaKind.AUDIO:
        data, mime = render_audio("hello from the marketplace"), "audio/wav"
    else:
        data, mime = png_bytes(160, 90, (90, 140, 200)), "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def request_for(entry: ModelEntry) -> GenerationRequest:
    defaults = {
        name: prop["default"]
        for name, prop in entry.params_schema["properties"].items()
        if "default" in prop
    }
    return GenerationRequest(
        model=entry.provider_model,
        mode=entry.primary_mode,
        prompt="a lighthouse on a cliff at dusk",
        params={**defaults, **entry.fixed_params},
        inputs=[
            InputMedia(kind=slot.kind, url=_input(slot.kind), slot=slot.name)
            for slot in entry.inputs
            if slot.required
        ],
    )


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e.id)
async def test_service_model_makes_real_media(entry: ModelEntry, emulators: dict[str, str]) -> None:
    cls = load_registry().get(entry.provider)
    assert cls is not None
    spec = registry.load(entry.provider)
    credential = Credential(entry.provider, spec.sandbox_credential, "sandbox")
    async with httpx.AsyncClient(timeout=30) as client:
        provider = cls(client, base_url=emulators[entry.provider])
        result = await generate(provider, request_for(entry), credential, interval=0.05, timeout=30)
        assert result.sandbox and result.media_type is entry.output_kind
        data = (await client.get(result.url)).content
    if entry.output_kind is MediaKind.IMAGE:
        Image.open(io.BytesIO(data)).verify()
    else:
        with av.open(io.BytesIO(data)) as container:
            assert container.streams.video and container.duration
            expected: Any = entry.fixed_params.get("duration")
            if expected is not None:
                assert abs(float(container.duration) / 1e6 - float(expected)) < 0.3
