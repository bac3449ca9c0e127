"""Atlas live discovery and the Catalog's cache against the emulator, over real HTTP:
the full list, the schema fallback, per-process schema caching, the 10-minute TTL, a stale
copy when the provider fails, and CATALOG_UNAVAILABLE when there is no copy at all."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from reelforge.catalog.atlas_discovery import AtlasDiscovery
from reelforge.catalog.catalog import Catalog
from reelforge.domain.catalog import ModelEntry
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.atlas import create_app
from reelforge.emulators.base import EmulatorState
from reelforge.providers import atlas_api
from tests.helpers import serve_asgi


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[tuple[str, EmulatorState]]:
    app = create_app()
    atlas_api.clear_caches()
    with serve_asgi(app) as url:
        yield url, app.state.emulator


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as c:
        yield c


def curated() -> ModelEntry:
    return ModelEntry(
        id="local/ffmpeg-upscale",
        provider="local",
        provider_model="upscale",
        label="Upscale",
        modes=[Mode.UPSCALE],
        output_kind=MediaKind.IMAGE,
    )


async def test_discovery_lists_the_console_image_and_video_models(
    server: tuple[str, EmulatorState], client: httpx.AsyncClient
) -> None:
    entries = await AtlasDiscovery(client, server[0]).discover()
    ids = {e.id for e in entries}
    assert len(entries) >= 235
    assert all(e.provider == "atlas" and e.live for e in entries)
    assert "atlas/atlascloud/test-video-model" not in ids, "hidden"
    assert "atlas/deepseek-ai/deepseek-v3.1" not in ids, "text"
    assert "atlas/minimax/speech-2.5-hd" not in ids, "audio"
    assert "atlas/mystic/ambient-loop" not in ids, "unclassifiable"
    modes = {e.id: e.primary_mode for e in entries}
    assert modes["atlas/bytedance/seedance-v1-pro-i2v-480p"] is Mode.I2V
    assert modes["atlas/bytedance/seedance-v1-pro-t2v-480p"] is Mode.T2V
    assert modes["atlas/decart/lucy-edit-pro"] is Mode.V2V
    assert modes["atlas/google/nano-banana/edit"] is Mode.I2I
    assert set(Counter(modes.values())) == {Mode.T2I, Mode.I2I, Mode.T2V, Mode.I2V, Mode.V2V}
    prices = {e.id: e.price for e in entries}
    assert prices["atlas/openai/sora-2/video-remix"].source.endswith("origin.base_price")
    assert prices["atlas/wavespeed-ai/video-upscaler-pro"].micros == 0
    assert prices["atlas/decart/lucy-edit-dev"].micros is None


async def test_schemas_are_fetched_once_per_process(
    server: tuple[str, EmulatorState], client: httpx.AsyncClient
) -> None:
    state = server[1]
    await AtlasDiscovery(client, server[0]).discover()
    fallback_fetches = state.requests["schema"]
    assert 20 < fallback_fetches < 100, "only the models the id rules cannot place"
    discovery = AtlasDiscovery(client, server[0])
    entries = await discovery.discover()
    assert state.requests["schema"] == fallback_fetches, "cached for the process"
    seedance = next(e for e in entries if e.id == "atlas/bytedance/seedance-v1-pro-i2v-480p")
    complete = await discovery.complete(seedance)
    assert state.requests["schema"] == fallback_fetches, "already fetched by the fallback"
    assert "model" not in complete.params_schema["properties"]
    assert "enable_base64_output" not in complete.params_schema["properties"]
    assert [s.name for s in complete.inputs] == ["image"]
    veo = next(e for e in entries if e.id == "atlas/google/veo3/text-to-video")
    await discovery.complete(veo)
    await discovery.complete(veo)
    assert state.requests["schema"] == fallback_fetches + 1


async def test_ttl_stale_copy_and_recovery(
    server: tuple[str, EmulatorState], client: httpx.AsyncClient
) -> None:
    url, state = server
    clock = Clock()
    catalog = Catalog([curated()], [AtlasDiscovery(client, url)], clock=clock)
    first = await catalog.list_models()
    assert not first.stale and len(first.entries) >= 236 and state.requests["models"] == 1
    clock.now += 599
    await catalog.list_models()
    assert state.requests["models"] == 1, "fresh for 10 minutes"

    state.faults.add("server_error", on="models", times=-1, status=503)
    clock.now += 2
    stale = await catalog.list_models(mode=Mode.I2V)
    assert stale.stale and stale.entries and state.requests["models"] == 2
    assert any(s["provider"] == "atlas" and s["stale"] and s["error"] for s in stale.sources)
    entry = await catalog.get("atlas/google/veo3/image-to-video")
    assert entry.params_schema["properties"], "a stale catalog still serves its models"
    clock.now += 5
    await catalog.list_models()
    assert state.requests["models"] == 2, "a failed refresh is not retried on every request"

    state.faults.clear()
    clock.now += 30
    fresh = await catalog.list_models()
    assert not fresh.stale and state.requests["models"] == 3


async def test_malformed_list_keeps_the_last_good_copy(
    server: tuple[str, EmulatorState], client: httpx.AsyncClient
) -> None:
    url, state = server
    clock = Clock()
    catalog = Catalog([], [AtlasDiscovery(client, url)], clock=clock)
    count = len((await catalog.list_models()).entries)
    state.faults.add("malformed", on="models")
    clock.now += 601
    listing = await catalog.list_models()
    assert listing.stale and len(listing.entries) == count


async def test_no_copy_at_all_is_catalog_unavailable(
    server: tuple[str, EmulatorState], client: httpx.AsyncClient
) -> None:
    url, state = server
    state.faults.add("server_error", on="models", times=-1)
    catalog = Catalog([curated()], [AtlasDiscovery(client, url)])
    with pytest.raises(ReelForgeError) as info:
        await catalog.get("atlas/google/veo3/text-to-video")
    err = info.value
    assert err.code is ErrorCode.CATALOG_UNAVAILABLE and err.http_status == 502
    assert err.retryable and err.retry_after is not None and err.retry_after >= 1
    assert "Try again" in err.remediation[0]
    with pytest.raises(ReelForgeError):
        await catalog.list_models(provider="atlas")
    partial = await catalog.list_models()
    assert [e.id for e in partial.entries] == ["local/ffmpeg-upscale"]
    assert partial.unavailable == ["atlas"]
    assert (await catalog.get("local/ffmpeg-upscale")).id == "local/ffmpeg-upscale"


async def test_unreachable_provider_is_catalog_unavailable(client: httpx.AsyncClient) -> None:
    from tests.helpers import free_port

    catalog = Catalog([], [AtlasDiscovery(client, f"http://127.0.0.1:{free_port()}")])
    with pytest.raises(ReelForgeError) as info:
        await catalog.list_models(provider="atlas")
    assert info.value.code is ErrorCode.CATALOG_UNAVAILABLE
    assert info.value.detail["cause"] == "ENGINE_OFFLINE"


async def test_unknown_model_names_close_matches(
    server: tuple[str, EmulatorState], client: httpx.AsyncClient
) -> None:
    catalog = Catalog([], [AtlasDiscovery(client, server[0])])
    with pytest.raises(ReelForgeError) as info:
        await catalog.get("atlas/google/nano-banana/edt")
    assert info.value.code is ErrorCode.NOT_FOUND
    assert info.value.detail["close_matches"][0] == "atlas/google/nano-banana/edit"
    assert "Did you mean" in info.value.message


async def test_each_mode_sorted_by_price_unknown_last(
    server: tuple[str, EmulatorState], client: httpx.AsyncClient
) -> None:
    catalog = Catalog([], [AtlasDiscovery(client, server[0])])
    listing = await catalog.list_models(mode=Mode.V2V)
    prices = [e.price.micros for e in listing.entries]
    known = [p for p in prices if p is not None]
    assert known == sorted(known) and prices[-1] is None
    assert all(Mode.V2V in e.modes for e in listing.entries)
    everything = (await catalog.list_models()).entries
    order = [list(Mode).index(e.primary_mode) for e in everything]
    assert order == sorted(order), "grouped by mode"
    found = await catalog.list_models(q="NANO-BANANA")
    assert found.entries and all("nano-banana" in e.id for e in found.entries)
