"""The shared emulator framework: faults, time-driven tasks, files and the renderer."""

from __future__ import annotations

import io
import time

import av
import httpx
import pytest
from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reelforge.emulators.base import (
    EmulatorConfig,
    EmulatorState,
    Fault,
    FaultRaised,
    create_emulator_app,
)
from reelforge.emulators.base.render import render_audio, render_image, render_video


def _render_error(kind: str, fault: Fault | None, message: str | None) -> Response:
    return JSONResponse({"kind": kind, "message": message}, status_code=418)


@pytest.fixture
def state() -> EmulatorState:
    return EmulatorState("demo", EmulatorConfig(queue_seconds=0.05, run_seconds=0.1), _render_error)


def _app(state: EmulatorState) -> httpx.AsyncClient:
    async def submit(request: Request) -> Response:
        fault = await state.gate("submit")
        task, _ = state.tasks.create("t2i", model="m", prompt="p")
        state.apply_task_fault(task, fault)
        url = state.file_url(request, "png", lambda: render_image("p", 1))
        return JSONResponse({"id": task.id, "url": url})

    app = create_emulator_app(state, [Route("/submit", submit, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emu")


async def test_faults_hit_the_named_number_of_requests(state: EmulatorState) -> None:
    state.faults.add("rate_limit", on="submit", times=2)
    async with _app(state) as c:
        codes = [(await c.post("/submit")).status_code for _ in range(3)]
        stats = (await c.get("/__emulator/stats")).json()
    assert codes == [418, 418, 200]
    assert stats["submissions"]["total"] == 1
    assert stats["requests"]["submit"] == 3


async def test_faults_over_http_and_task_faults(state: EmulatorState) -> None:
    async with _app(state) as c:
        await c.post("/__emulator/faults", json={"kind": "stuck", "on": "submit"})
        task_id = (await c.post("/submit")).json()["id"]
    task = state.tasks.get(task_id)
    assert task is not None and task.stuck
    time.sleep(0.2)
    assert task.state()[0] == "running"


async def test_task_progression_and_cancel(state: EmulatorState) -> None:
    task, created = state.tasks.create("t2v", model="m", idempotency_key="k1")
    again, created_again = state.tasks.create("t2v", model="m", idempotency_key="k1")
    assert created and not created_again and again is task
    assert task.state()[0] == "queued"
    time.sleep(0.2)
    assert task.state() == ("succeeded", 1.0)
    other, _ = state.tasks.create("t2v", model="m")
    assert state.tasks.cancel(other) and other.state()[0] == "canceled"
    assert state.tasks.submissions["total"] == 2


async def test_files_render_lazily_and_expire(state: EmulatorState) -> None:
    async with _app(state) as c:
        url = (await c.post("/submit")).json()["url"]
        first = await c.get(url)
        state.faults.add("expired_output", on="files")
        expired = await c.get(url)
    assert first.status_code == 200 and first.content.startswith(b"\x89PNG")
    assert expired.status_code == 403 and b"expired" in expired.content


async def test_gate_raises_provider_errors(state: EmulatorState) -> None:
    state.faults.add("insufficient_credit", on="any")
    with pytest.raises(FaultRaised) as info:
        await state.gate("poll")
    assert info.value.kind == "insufficient_credit"


def test_renderer_makes_real_media_that_depends_on_prompt_and_seed() -> None:
    a = render_image("a red fox", 1, aspect_ratio="16:9")
    b = render_image("a red fox", 2, aspect_ratio="16:9")
    assert a != b and render_image("a red fox", 1, aspect_ratio="16:9") == a
    assert Image.open(io.BytesIO(a)).size == (320, 180)
    video = render_video("fox", 1, duration=2.0, aspect_ratio="9:16", source_image=a)
    with av.open(io.BytesIO(video)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        assert (stream.width, stream.height) == (180, 320)
        assert abs(float(container.duration) / 1e6 - 2.0) < 0.2
    assert (frames[0] != frames[-1]).any(), "image-to-video must animate"
    talking = render_video("x", 1, source_image=a, audio=render_audio("one two three four"))
    with av.open(io.BytesIO(talking)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]


def test_queue_position_counts_only_earlier_tasks_still_queued() -> None:
    from reelforge.emulators.base.tasks import EmuTask, TaskStore

    store = TaskStore(queue_seconds=10.0, run_seconds=5.0)
    tasks = [store.create("t2v", model="m", prompt=str(i))[0] for i in range(6)]
    base = tasks[0].created
    for i, task in enumerate(tasks):
        task.created = base + i  # one second apart, in the order they were made
    store.cancel(tasks[2])
    now = base + 12.5  # tasks 0-2 are out of the queue (2 canceled, 0 and 1 running)

    def brute(task: EmuTask) -> int:
        return sum(
            1
            for other in store.tasks.values()
            if other.created < task.created and other.state(now)[0] == "queued"
        )

    assert [store.queued_ahead(t, now) for t in tasks] == [brute(t) for t in tasks]
    assert [store.queued_ahead(t, now) for t in tasks] == [0, 0, 0, 0, 1, 2]
