"""The cost of durable sandbox state: submissions and polls per second against the fal
emulator in-process (ASGI transport, as sandbox mode runs it), with task state in memory
and in a SQLite state file. Polls of held tasks never read the file; a fresh emulator on
the same file (a restart) pays one replay per task on its first poll.

    PYTHONPATH=src python -m bench.bench_sandbox_state [N]
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.base.durable import DurableStore
from reelforge.emulators.fal import SANDBOX_CREDENTIAL, create_app

HEADERS = {"Authorization": f"Key {SANDBOX_CREDENTIAL['api_key']}"}
APP = "fal-ai/flux/dev"


def _client(durable: DurableStore | None) -> httpx.AsyncClient:
    # Running, not queued: a queued poll counts the queue ahead, which is not what is measured.
    config = EmulatorConfig(queue_seconds=0.0, run_seconds=600.0, durable=durable)
    transport = httpx.ASGITransport(app=create_app(config))
    return httpx.AsyncClient(transport=transport, base_url="http://fal.sandbox", headers=HEADERS)


async def _submit(client: httpx.AsyncClient, n: int) -> tuple[list[str], float]:
    start = time.perf_counter()
    ids = []
    for i in range(n):
        r = await client.post(f"/{APP}", json={"prompt": f"a fox {i}"})
        ids.append(r.json()["request_id"])
    return ids, n / (time.perf_counter() - start)


async def _poll(client: httpx.AsyncClient, ids: list[str]) -> float:
    start = time.perf_counter()
    for rid in ids:
        r = await client.get(f"/fal-ai/flux/requests/{rid}/status")
        assert r.status_code in (200, 202), r.text
    return len(ids) / (time.perf_counter() - start)


async def main(n: int) -> dict[str, object]:
    figures: dict[str, object] = {"tasks": n}
    async with _client(None) as client:
        ids, figures["memory_submits_per_s"] = await _submit(client, n)
        figures["memory_polls_per_s"] = await _poll(client, ids)
    with tempfile.TemporaryDirectory() as tmp:
        store = DurableStore(Path(tmp) / "sandbox.db")
        async with _client(store) as client:
            ids, figures["durable_submits_per_s"] = await _submit(client, n)
            figures["durable_polls_per_s"] = await _poll(client, ids)
        async with _client(store) as restarted:  # memory gone: every first poll replays
            figures["after_restart_first_polls_per_s"] = await _poll(restarted, ids)
            figures["after_restart_polls_per_s"] = await _poll(restarted, ids)
        store.close()
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))))
