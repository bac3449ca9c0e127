"""Chaos at scale (issue 25): N runs (default 200) over idempotent (Kling), non-idempotent
(MiniMax, fal; Luma looked up) and synchronous (Together) providers, with K SIGKILLs at
random moments (default 10), for each runner:

- embedded: ``reelforge serve`` (the API process, SQLite) killed and started again;
- dramatiq: one of two ``reelforge worker`` processes (PostgreSQL + Redis, S3 on moto)
  killed and replaced.

Prints, per runner, lost runs / duplicate submissions (emulator task counters) / double
captures / steps failed that their provider never saw (goal 0 / 0 / 0 / 0), the outcomes
per model, then the figures as JSON. The bounded CI version is tests/integration/test_chaos.py.

    PYTHONPATH=$PWD/src:$PWD python -m bench.bench_chaos [N] [K] [embedded|dramatiq|both]
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from pathlib import Path

from tests.chaos import Figures, chaos_dramatiq, chaos_embedded
from tests.helpers import free_port


def report(figures: Figures) -> dict[str, object]:
    print(figures.line(), flush=True)
    for model, tally in sorted(figures.by_model.items()):
        print(f"    {model}: {dict(tally)}", flush=True)
    for line in figures.unseen:
        print(f"    failed unseen: {line}", flush=True)
    return {
        "runner": figures.runner,
        "runs": figures.runs,
        "kills": figures.kills,
        "lost": figures.lost,
        "duplicate_submissions": figures.duplicates,
        "double_captures": figures.double_captures,
        "failed_unseen_by_provider": figures.failed_unseen,
        "failed_unseen_marked_sent": figures.failed_unseen_marked,
        "failed_after_reaching_unreconcilable_provider": figures.failed_seen,
        "succeeded": figures.succeeded,
        "ledger_ok": figures.ledger_ok,
        "seconds": round(figures.seconds, 1),
        "restart_seconds": [round(t, 1) for t in figures.restarts],
    }


async def main(runs: int, kills: int, which: str) -> None:
    results = []
    if which in ("embedded", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(report(await chaos_embedded(Path(tmp), runs, kills)))
    if which in ("dramatiq", "both"):
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                moto = f"http://127.0.0.1:{port}"
                results.append(report(await chaos_dramatiq(Path(tmp), moto, runs, kills)))
        finally:
            server.stop()
    print(json.dumps({"bench": "chaos", "results": results}, indent=2))


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(
        main(
            int(args[0]) if args else 200,
            int(args[1]) if len(args) > 1 else 10,
            args[2] if len(args) > 2 else "both",
        )
    )
