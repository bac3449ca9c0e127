"""What an emulator holds in memory is bounded (issue 25: a sandbox `reelforge serve` kept
every task and output file it ever made): past the bound the oldest finished tasks and
files go, never one still in flight or just made; with a durable store a dropped task
is restored when asked for again."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.responses import Response

from reelforge.emulators import registry
from reelforge.emulators.base import EmulatorConfig, EmulatorState
from reelforge.emulators.base.durable import DurableStore
from reelforge.emulators.base.files import FileStore
from reelforge.emulators.base.state import MAX_CALLBACKS_KEPT
from reelforge.emulators.base.tasks import TaskStore
from reelforge.providers.base import Credential, TaskStatus
from reelforge.providers.plugins import load_registry
from reelforge.providers.polling import generate
from tests.emulator_requests import REQUESTS


def _finished_store(max_finished: int, grace: float = 0.0) -> TaskStore:
    return TaskStore(
        queue_seconds=0.0,
        run_seconds=0.0,
        max_finished=max_finished,
        finished_grace_seconds=grace,
    )


def test_past_the_bound_the_oldest_finished_tasks_go() -> None:
    store = _finished_store(max_finished=50)
    made = [store.create("t2i", model="m", idempotency_key=f"k{i}")[0] for i in range(1000)]
    # At most the bound and one prune's slack (a tenth of it) are ever held.
    assert 50 <= len(store.tasks) <= 55
    held = list(store.tasks)
    assert held == [t.id for t in made[-len(held) :]]  # the newest, in order
    assert set(store.by_idempotency.values()) == set(held)  # no key outlives its task
    assert store.get(made[0].id) is None
    assert store.submissions["total"] == 1000
    again, created = store.create("t2i", model="m", idempotency_key="k999")
    assert again is made[-1] and not created


def test_tasks_in_flight_or_just_finished_are_kept_past_the_bound() -> None:
    store = TaskStore(queue_seconds=0.0, run_seconds=3600.0, max_finished=10)
    running = [store.create("t2v", model="m")[0] for i in range(30)]
    stuck, _ = store.create("t2v", model="m", run_seconds=0.0)
    stuck.stuck = True
    assert len(store.tasks) == 31  # none had finished: none went
    young = _finished_store(max_finished=10, grace=3600.0)
    for _ in range(30):
        young.create("t2i", model="m")
    assert len(young.tasks) == 30  # finished, but within their grace
    for task in running[:20]:
        store.cancel(task)
    store.finished_grace_seconds = 0.0
    for _ in range(10):
        store.create("t2v", model="m")
    assert stuck.id in store.tasks and all(t.id in store.tasks for t in running[20:])
    assert not any(t.id in store.tasks for t in running[:20])


def test_past_the_bound_the_oldest_files_go() -> None:
    files = FileStore(max_files=20, grace_seconds=0.0)
    names = [files.add("png", lambda: b"png") for _ in range(500)]
    assert len(files._files) == 20
    assert files.lookup(names[0]) is None and files.lookup(names[-1]) is not None
    young = FileStore(max_files=20, grace_seconds=3600.0)
    for _ in range(50):
        young.add("png", lambda: b"png")
    assert len(young._files) == 50  # all within their grace


def test_stats_keep_only_the_latest_callbacks() -> None:
    state = EmulatorState("demo", EmulatorConfig(), lambda *_: Response(status_code=500))
    for i in range(MAX_CALLBACKS_KEPT + 10):
        state.callbacks_sent.append({"task": str(i), "status": 204})
    sent = state.stats()["callbacks_sent"]
    assert len(sent) == MAX_CALLBACKS_KEPT and sent[-1]["task"] == str(MAX_CALLBACKS_KEPT + 9)


async def test_a_dropped_task_is_restored_from_the_durable_store(tmp_path: Path) -> None:
    store = DurableStore(tmp_path / "sandbox.db")
    config = EmulatorConfig(
        queue_seconds=0.0,
        run_seconds=0.05,
        image_run_seconds=0.05,
        durable=store,
        max_finished_tasks=1,
        max_files=1,
        retention_grace_seconds=0.0,
    )
    app = registry.load("fal").create_app(config)
    state: EmulatorState = app.state.emulator
    cls = load_registry().get("fal")
    assert cls is not None
    credential = Credential("fal", registry.load("fal").sandbox_credential, "env")
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://emu") as client:
            provider = cls(client, "http://emu")
            runs = [
                await generate(provider, REQUESTS["fal"], credential, interval=0.02, timeout=20)
                for _ in range(4)
            ]
            first = runs[0].task.task_id
            assert first not in state.tasks.tasks and len(state.tasks.tasks) <= 2
            made = state.tasks.submissions["total"]
            again = await provider.poll(runs[0].task, credential)
            assert again.status is TaskStatus.SUCCEEDED
            assert [o.url for o in again.outputs] == [o.url for o in runs[0].outputs]
            response = await client.get(runs[0].outputs[0].url)
            assert response.status_code == 200
            assert response.content[:3] in (b"\x89PN", b"\xff\xd8\xff")  # PNG or JPEG
            assert state.tasks.submissions["total"] == made  # rebuilt, not submitted again
    finally:
        store.close()
