"""Routing costs, in-process on the sandbox emulators:

- planning a pipeline of capability nodes (each ranks ~20 candidate models: translation,
  validation, quote, credential and health lookups) per node, p50 over repetitions;
- the time a step takes to move on to its fallback: from the primary's failure (a 503 the
  fal emulator is told to answer) to the fallback's task being submitted, from the events
  the run records (no retries: ``max_attempts=1``).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from reelforge.app import open_container
from reelforge.engine.pipeline import Pipeline
from reelforge.engine.routing import RetryPolicy
from reelforge.settings import Settings


async def _measure(home: Path, nodes: int, runs: int) -> dict[str, Any]:
    settings = Settings(_env_file=None, home=home, sandbox=True, log_level="WARNING")  # type: ignore[call-arg]
    async with open_container(settings, start_runner=True) as container:
        owner = await _owner(container)
        pipeline = Pipeline.model_validate(
            {
                "nodes": [
                    {
                        "id": f"n{i}",
                        "capability": {"mode": "t2i" if i % 2 else "t2v", "quality": "standard"},
                        "prompt": "a fox",
                        "negative_prompt": "blur",
                        "params": {"aspect_ratio": "16:9", "duration": 5},
                    }
                    for i in range(nodes)
                ]
            }
        )
        await container.runs.plan(owner, pipeline)  # warm caches
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            await container.runs.plan(owner, pipeline)
            timings.append((time.perf_counter() - started) * 1000 / nodes)

        container.engine.policy = RetryPolicy(max_attempts=1)
        fal = container.hub.sandbox_endpoints["fal"].client
        await fal.post(
            "/__emulator/faults", json={"kind": "server_error", "on": "submit", "times": -1}
        )
        switches = []
        for i in range(runs):
            one = Pipeline.model_validate(
                {
                    "nodes": [
                        {
                            "id": "gen",
                            "model": "fal/flux-dev",
                            "prompt": f"switch {i}",
                            "fallbacks": ["together/flux-1-schnell-free"],
                        }
                    ]
                }
            )
            created = await container.runs.create_run(owner, one)
            await container.runner.enqueue(created.ready)
            await container.runner.wait_run(created.run_id, 60)
            switches.append(await _switch_ms(container, created.run_id))
        after_failure = [ms for kind, ms in switches if kind == "fallback"]
        skipped = [ms for kind, ms in switches if kind == "skipped"]
        return {
            "capability_nodes": nodes,
            "plan_ms_per_capability_node_p50": round(statistics.median(timings), 3),
            "fallback_after_failure_ms_p50": round(statistics.median(after_failure), 1),
            "runs_after_failure": len(after_failure),
            # From the 5th failure on, fal is cooled down: later runs skip it up front.
            "skip_cooling_ms_p50": round(statistics.median(skipped), 1) if skipped else None,
            "runs_skipping": len(skipped),
            "note": "in-process sandbox (SQLite, ASGI transport); ms from the step.fallback "
            "event to the fallback's step.submitting event",
        }


async def _owner(container: Any) -> str:
    from reelforge.storage import identity

    async with container.db.session() as session:
        owner = await identity.find_owner(session)
    return str(owner.id)


async def _switch_ms(container: Any, run_id: str) -> tuple[str, float]:
    """(fallback | skipped, ms from the fallback decision to the fallback's attempt)."""
    async with container.db.session() as session:
        rows = await container.engine.events.since(session, run_id, 0)
    index = next(i for i, r in enumerate(rows) if r.type == "step.fallback")
    attempt = next(r for r in rows[index:] if r.type == "step.submitting")
    kind = rows[index].data.get("event", "fallback")
    return kind, (attempt.created_at - rows[index].created_at).total_seconds() * 1000


def run(nodes: int = 40, runs: int = 10) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as home:
        return asyncio.run(_measure(Path(home), nodes, runs))
