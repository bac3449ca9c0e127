"""Sandbox mode keeps its emulators' task state in <home>/sandbox.db: a run in flight when
the server stops finishes after it starts again (its provider task submitted once), and
two processes of a deployment sharing the file answer for each other's tasks."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reelforge.app import open_container
from reelforge.container import Container
from reelforge.domain.modes import Mode
from reelforge.emulators.base import EmulatorState
from reelforge.engine.pipeline import Pipeline
from reelforge.providers.base import GenerationRequest, TaskStatus
from reelforge.providers.polling import poll_until_complete
from reelforge.storage import identity
from reelforge.storage.run_tables import RunRow, StepRow
from tests.conftest import make_settings

DOC = {"nodes": [{"id": "still", "model": "fal/flux-dev", "prompt": "a mill by a river"}]}


def _emulator(container: Container, name: str) -> EmulatorState:
    client = container.hub.sandbox_endpoints[name].client
    app: Any = client._transport.app  # type: ignore[attr-defined]
    state: EmulatorState = app.state.emulator
    return state


def _recorded_tasks(path: Path, emulator: str) -> int:
    with sqlite3.connect(path) as db:
        return int(
            db.execute(
                "SELECT count(*) FROM emulator_tasks WHERE emulator = ?", (emulator,)
            ).fetchone()[0]
        )


async def _wait_for(container: Container, *where: Any, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        async with container.db.session() as s:
            found = list((await s.execute(select(StepRow.status).where(*where))).scalars())
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def test_a_sandbox_run_in_flight_survives_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    async with open_container(settings, start_runner=True) as first:
        async with first.db.session() as s:
            owner_id = (await identity.find_owner(s)).id  # type: ignore[union-attr]
        created = await first.runs.create_run(owner_id, Pipeline.model_validate(DOC))
        await first.runner.enqueue_created(created)
        # Stop the moment the provider task id is stored: the emulator has the task in flight.
        submitted = await _wait_for(first, StepRow.status.in_(["submitted", "collecting"]))
        assert submitted, "the step was never submitted"
        assert _emulator(first, "fal").tasks.submissions["total"] == 1
    state_file = settings.home / "sandbox.db"
    assert _recorded_tasks(state_file, "fal") == 1

    async with open_container(settings, start_runner=True) as second:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            async with second.db.session() as s:
                status = (
                    await s.execute(select(RunRow.status).where(RunRow.id == created.run_id))
                ).scalar_one()
                steps = list((await s.execute(select(StepRow))).scalars())
            if status in ("succeeded", "failed", "canceled"):
                break
            await asyncio.sleep(0.1)
        assert status == "succeeded", [(st.status, st.error) for st in steps]
        # Collected from the restarted emulator, which rebuilt the task: nothing resubmitted.
        assert _emulator(second, "fal").tasks.submissions["total"] == 0
    assert _recorded_tasks(state_file, "fal") == 1


async def test_two_processes_sharing_the_state_file_answer_for_each_other(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "shared-sandbox.db"
    one = make_settings(tmp_path / "one", sandbox_state=str(shared))
    two = make_settings(tmp_path / "two", sandbox_state=str(shared))
    request = GenerationRequest(model="kling-v2-5-turbo", mode=Mode.T2V, prompt="a paper boat")
    async with open_container(one) as a, open_container(two) as b:
        submitter = await a.hub.resolve("kling", None)
        poller = await b.hub.resolve("kling", None)
        assert submitter.sandbox and poller.sandbox
        task = await submitter.provider.submit(request, submitter.credential)
        update = await poll_until_complete(
            lambda: poller.provider.poll(task, poller.credential),
            task_id=task.task_id,
            interval=0.1,
            timeout=20,
        )
        assert update.status is TaskStatus.SUCCEEDED, update.error
        response = await b.hub.sandbox_endpoints["kling"].client.get(update.outputs[0].url)
        assert response.status_code == 200
        assert response.content[4:8] == b"ftyp"  # an MP4, rendered for the other's task
        assert _emulator(b, "kling").tasks.submissions["total"] == 0
        assert _emulator(a, "kling").tasks.submissions["total"] == 1
