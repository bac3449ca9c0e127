"""The sandbox scale-out run's throughput: an API node in this process, 1, 2 and 4
`reelforge worker` processes on PostgreSQL + Dramatiq on Redis (S3 on moto), each worker
with its own home (emulator task state shared through the deployment database), and N
mixed sandbox generations (together, kling, minimax, fal, luma) started at once. Prints
generations per second from the first enqueue to the last run finished.

    PYTHONPATH=$PWD/src python -m bench.bench_scaleout [N]
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

from moto.server import ThreadedMotoServer
from tests.helpers import free_port
from tests.sandbox_fleet import open_fleet

WORKERS = (1, 2, 4)


async def _one(workers: int, count: int, moto: str) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_fleet(Path(tmp), moto, workers) as fleet:
            start = time.perf_counter()
            runs = await fleet.start(count)
            await fleet.wait(runs, timeout=600)
            seconds = time.perf_counter() - start
            succeeded = (await fleet.statuses(runs))["succeeded"]
    return {
        "workers": workers,
        "generations": count,
        "succeeded": succeeded,
        "seconds": round(seconds, 2),
        "generations_per_second": round(count / seconds, 2),
    }


async def main(count: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        moto = f"http://127.0.0.1:{port}"
        results = [await _one(n, count, moto) for n in WORKERS]
    finally:
        server.stop()
    print(json.dumps({"bench": "scaleout", "sandbox": True, "runs": results}, indent=2))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 40))
