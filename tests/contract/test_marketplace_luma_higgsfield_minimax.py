"""Each marketplace service model of luma, higgsfield and minimax, taken from the catalog
data as the engine would (concrete model + fixed params + schema defaults), produces real
media through its adapter and emulator over HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from importlib import resources
from typing import Any

import httpx
import pytest

from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.base.render import render_audio, render_video
from reelforge.providers.base import Credential, GenerationRequest, InputMedia, Provider
from reelforge.providers.plugins import load_registry, plugin_manager
from reelforge.providers.polling import generate
from tests.contract.mediacheck import Hooks, data_uri, hooks_server, image_of, video_info
from tests.helpers import free_port, png_bytes, serve_asgi

PROVIDERS = ("luma", "higgsfield", "minimax")
MEDIA = {
    MediaKind.IMAGE: data_uri(png_bytes(64, 48, (30, 160, 60)), "image/png"),
    MediaKind.AUDIO: data_uri(render_audio("hello from the avatar"), "audio/wav"),
    MediaKind.VIDEO: data_uri(render_video("source clip", 1, duration=2.0), "video/mp4"),
}


def service_entries() -> list[ModelEntry]:
    found = []
    for provider in PROVIDERS:
        text = resources.files("reelforge.catalog").joinpath(f"data/{provider}.json").read_text()
        found += [ModelEntry.model_validate(e) for e in json.loads(text)]
    return [e for e in found if "marketplace" in e.tags]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    config = EmulatorConfig(queue_seconds=0.05, run_seconds=0.1, image_run_seconds=0.05)
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(serve_asgi(registry.load(name).create_app(config)))
            for name in PROVIDERS
        }


@pytest.fixture(scope="module")
def media_host() -> Iterator[Hooks]:
    """The same media by URL, for providers that fetch inputs themselves (Luma)."""
    with hooks_server() as hooks:
        for kind, uri in MEDIA.items():
            header, _, payload = uri.partition(",")
            hooks.files[kind.value] = (base64.b64decode(payload), header[5:].split(";")[0])
        yield hooks


def request_for(entry: ModelEntry, provider: type[Provider], hooks: Hooks) -> GenerationRequest:
    props: dict[str, Any] = entry.params_schema["properties"]
    params = {k: v["default"] for k, v in props.items() if "default" in v}
    params |= entry.fixed_params
    inputs = [
        InputMedia(
            kind=slot.kind,
            url=hooks.url(slot.kind.value)
            if provider.needs_url(entry.primary_mode, slot.kind)
            else MEDIA[slot.kind],
            slot=slot.name,
        )
        for slot in entry.inputs
        if slot.required
    ]
    return GenerationRequest(
        model=entry.provider_model,
        mode=entry.primary_mode,
        prompt="a calm lake at sunrise",
        params=params,
        inputs=inputs,
    )


@pytest.mark.parametrize("entry", service_entries(), ids=lambda e: e.id)
async def test_service_model_makes_real_media(
    entry: ModelEntry, servers: dict[str, str], media_host: Hooks
) -> None:
    cls = load_registry(plugin_manager(load_entry_points=False)).get(entry.provider)
    assert cls is not None
    credential = Credential(
        entry.provider, registry.load(entry.provider).sandbox_credential, "sandbox"
    )
    async with httpx.AsyncClient(timeout=10) as client:
        provider = cls(client, base_url=servers[entry.provider])
        result = await generate(
            provider, request_for(entry, cls, media_host), credential, interval=0.05, timeout=20
        )
        assert result.sandbox and result.media_type is entry.output_kind
        data = (await client.get(result.url)).content
    if entry.output_kind is MediaKind.VIDEO:
        info = video_info(data)
        assert info.frames and info.duration > 1.0
        if "duration" in entry.fixed_params:
            assert abs(info.duration - entry.fixed_params["duration"]) < 0.3
        if entry.inputs and entry.inputs[-1].kind is MediaKind.AUDIO:
            assert info.has_audio
    else:
        assert image_of(data).size[0] > 0


def test_all_nine_service_models_are_covered() -> None:
    assert len(service_entries()) == 9


@pytest.mark.parametrize("name", PROVIDERS)
async def test_health_reports_an_unreachable_api(name: str) -> None:
    cls = load_registry(plugin_manager(load_entry_points=False)).get(name)
    assert cls is not None
    async with httpx.AsyncClient(timeout=2) as client:
        health = await cls(client, base_url=f"http://127.0.0.1:{free_port()}").health()
    assert health.ok is False and health.detail["error"] == "ENGINE_OFFLINE"


CANARY = "canary-b1d2e3f4a5c6-prov-b"
CANARY_CREDENTIALS = {
    "luma": ({"api_key": CANARY}, CANARY),
    "higgsfield": ({"key_id": "kid", "key_secret": CANARY}, f"kid:{CANARY}"),
    "minimax": ({"api_key": CANARY}, CANARY),
}


@pytest.mark.parametrize("name", PROVIDERS)
async def test_keys_never_reach_logs_or_errors(
    name: str, caplog: pytest.LogCaptureFixture, media_host: Hooks
) -> None:
    caplog.set_level(logging.DEBUG)
    for noisy in ("httpx", "httpcore"):  # configure_logging quiets them; hear everything here
        caplog.set_level(logging.DEBUG, logger=noisy)
    values, accepted = CANARY_CREDENTIALS[name]
    entry = next(e for e in service_entries() if e.provider == name)
    cls = load_registry(plugin_manager(load_entry_points=False)).get(name)
    assert cls is not None
    config = EmulatorConfig(keys={accepted}, queue_seconds=0.02, run_seconds=0.05)
    with serve_asgi(registry.load(name).create_app(config)) as url:
        async with httpx.AsyncClient(timeout=10) as client:
            provider = cls(client, base_url=url)
            good = Credential(name, values, "stored")
            result = await generate(
                provider, request_for(entry, cls, media_host), good, interval=0.05, timeout=20
            )
            assert await provider.verify(good)
            wrong = {k: v + "-revoked" for k, v in values.items()}
            with pytest.raises(ReelForgeError) as info:
                await provider.submit(
                    request_for(entry, cls, media_host), Credential(name, wrong, "stored")
                )
    assert info.value.code is ErrorCode.AUTH_FAILED
    seen = caplog.text + repr(result.model_dump()) + repr(info.value.to_dict()) + str(info.value)
    assert CANARY not in seen and caplog.records  # the calls were logged, without the key
