"""Emulator task state in a durable store (a SQLite file): a restarted emulator, or another
process's, answers for tasks it never saw, and output URLs handed out before still work.

Each provider's adapter submits to emulator A over real HTTP on 127.0.0.1; A stops (its
memory gone) and B starts on the same port with the same state file; B finishes the task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reelforge.domain.modes import MediaKind, Mode
from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.base.durable import DurableStore
from reelforge.providers.base import Credential, GenerationRequest, InputMedia, TaskStatus
from reelforge.providers.plugins import load_registry
from reelforge.providers.polling import generate, poll_until_complete
from tests.emulator_requests import IMAGE, REQUESTS, check_media, output_bytes
from tests.helpers import free_port, serve_asgi

# Providers whose results come back in the answer (no task to keep) are left out.
TASK_PROVIDERS = sorted(set(REQUESTS) - {"together", "pollinations", "huggingface"})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the state is kept: a SQLite file, or a (deployment's) PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "sandbox.db"
    return str(request.getfixturevalue("pg_url"))


@contextmanager
def emulator(name: str, path: Path | str, port: int) -> Iterator[tuple[str, dict[str, object]]]:
    store = DurableStore(path)
    config = EmulatorConfig(queue_seconds=0.1, run_seconds=0.4, image_run_seconds=0.2)
    config.durable = store
    app = registry.load(name).create_app(config)
    try:
        with serve_asgi(app, port) as url:
            yield url, app.state.emulator.tasks.submissions
    finally:
        store.close()


@pytest.mark.parametrize("name", TASK_PROVIDERS)
async def test_a_restarted_emulator_finishes_tasks_and_serves_old_urls(
    name: str, store_at: Path | str
) -> None:
    cls = load_registry().get(name)
    assert cls is not None
    credential = Credential(name, registry.load(name).sandbox_credential, "env")
    path, port = store_at, free_port()
    async with httpx.AsyncClient(timeout=20) as client:
        with emulator(name, path, port) as (url, submissions):
            provider = cls(client, url)
            done = await generate(provider, REQUESTS[name], credential, interval=0.05, timeout=20)
            in_flight = await provider.submit(REQUESTS[name], credential)
            assert submissions["total"] == 2
        # A restart: nothing of A's memory is left, only the file.
        with emulator(name, path, port) as (url, submissions):
            provider = cls(client, url)
            update = await poll_until_complete(
                lambda: provider.poll(in_flight, credential),
                task_id=in_flight.task_id,
                interval=0.05,
                timeout=20,
            )
            assert update.status is TaskStatus.SUCCEEDED, update.error
            outputs = [*update.outputs, *done.outputs]
            for output in outputs:  # the URL handed out before the restart, and after
                carried = output_bytes(output.url)  # (ComfyUI's adapter fetches them itself)
                if carried is not None:
                    check_media(carried, output.media_type)
                    continue
                response = await client.get(output.url)
                assert response.status_code == 200, (output.url, response.text[:200])
                check_media(response.content, output.media_type)
            again = await provider.poll(done.task, credential)
            assert again.status is TaskStatus.SUCCEEDED
            assert [o.url for o in again.outputs] == [o.url for o in done.outputs]
            assert submissions["total"] == 0  # rebuilt from the record, not submitted again


async def test_an_output_of_another_process_is_usable_as_input(store_at: Path | str) -> None:
    """Luma image-to-video from the thumbnail of a video made by another process sharing the
    state file: the input is the emulator's own file, rebuilt where it is read."""
    cls = load_registry().get("luma")
    assert cls is not None
    credential = Credential("luma", registry.load("luma").sandbox_credential, "env")
    path = store_at
    headers = {"Authorization": f"Bearer {credential.values['api_key']}"}
    async with httpx.AsyncClient(timeout=20) as client:
        with emulator("luma", path, free_port()) as (url_a, _):
            made = await generate(cls(client, url_a), REQUESTS["luma"], credential, interval=0.05)
            generation = (
                await client.get(
                    f"{url_a}/dream-machine/v1/generations/{made.task.task_id}", headers=headers
                )
            ).json()
            thumbnail = generation["assets"]["image"]
        with emulator("luma", path, free_port()) as (url_b, submissions):
            body = {
                "prompt": "it moves",
                "model": "ray-2",
                "keyframes": {"frame0": {"type": "image", "url": thumbnail}},
            }
            r = await client.post(
                f"{url_b}/dream-machine/v1/generations", json=body, headers=headers
            )
            assert r.status_code == 201, r.text
            assert submissions["total"] == 1
            for _ in range(100):
                answer = await client.get(
                    f"{url_b}/dream-machine/v1/generations/{r.json()['id']}", headers=headers
                )
                if answer.json()["state"] in ("completed", "failed"):
                    break
                await asyncio.sleep(0.05)
            assert answer.json()["state"] == "completed", answer.json().get("failure_reason")


async def test_a_comfyui_prompt_that_loads_an_upload_survives_a_restart(
    store_at: Path | str,
) -> None:
    cls = load_registry().get("comfyui")
    assert cls is not None
    credential = Credential("comfyui", {}, "none")
    image = InputMedia(kind=MediaKind.IMAGE, url=IMAGE.url)
    request = GenerationRequest(model="esrgan_upscale", mode=Mode.UPSCALE, inputs=[image])
    path, port = store_at, free_port()
    async with httpx.AsyncClient(timeout=20) as client:
        with emulator("comfyui", path, port) as (url, _):
            task = await cls(client, url).submit(request, credential)  # uploads, then queues
        with emulator("comfyui", path, port) as (url, submissions):
            provider = cls(client, url)
            update = await poll_until_complete(
                lambda: provider.poll(task, credential),
                task_id=task.task_id,
                interval=0.05,
                timeout=20,
            )
            assert update.status is TaskStatus.SUCCEEDED, update.error
            carried = output_bytes(update.outputs[0].url)
            assert carried is not None
            check_media(carried, MediaKind.IMAGE)
            assert submissions["total"] == 0
