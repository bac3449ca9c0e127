"""Issue 18: the Atlas adapter puts every input where the model's schema says, over real
HTTP against the emulator (its recorded request): an ``images`` array gets every image in
order, inputs that name a field (a start and an end frame) go to that field."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators.atlas import create_app
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.providers import atlas_api
from reelforge.providers.atlas import AtlasProvider
from reelforge.providers.base import Credential, GenerationRequest, InputMedia
from tests.helpers import serve_asgi

KEY = "atlas-inputs-key"
CRED = Credential("atlas", {"api_key": KEY}, "stored")


@pytest.fixture
def server() -> Iterator[tuple[str, EmulatorState]]:
    app = create_app(EmulatorConfig(keys={KEY}, queue_seconds=0.05, run_seconds=0.2))
    atlas_api.clear_caches()
    with serve_asgi(app) as url:
        yield url, app.state.emulator


async def _submit(url: str, request: GenerationRequest) -> str:
    async with httpx.AsyncClient(timeout=30) as client:
        return (await AtlasProvider(client, url).submit(request, CRED)).task_id


async def test_an_images_array_gets_every_image_in_order(
    server: tuple[str, EmulatorState],
) -> None:
    urls = [f"https://example.com/{n}.png" for n in range(3)]
    request = GenerationRequest(
        model="google/nano-banana/edit",
        mode=Mode.I2I,
        prompt="merge them",
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=u, slot="images") for u in urls],
    )
    task = server[1].tasks.get(await _submit(server[0], request))
    assert task is not None and task.params["images"] == urls


async def test_named_slots_go_to_their_own_fields(server: tuple[str, EmulatorState]) -> None:
    start, end = "https://example.com/start.png", "https://example.com/end.png"
    request = GenerationRequest(
        model="kwaivgi/kling-v2.1-pro/start-end-to-video",
        mode=Mode.I2V,
        prompt="from dawn to dusk",
        params={"duration": 5},
        inputs=[
            InputMedia(kind=MediaKind.IMAGE, url=start, slot="start_image"),
            InputMedia(kind=MediaKind.IMAGE, url=end, slot="end_image"),
        ],
    )
    task = server[1].tasks.get(await _submit(server[0], request))
    assert task is not None
    assert task.params["start_image"] == start and task.params["end_image"] == end
