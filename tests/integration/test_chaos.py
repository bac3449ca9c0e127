"""Chaos (issue 25), bounded for CI: SIGKILL of the API process (embedded runner) and of a
Dramatiq worker at random moments during runs over idempotent, non-idempotent and
synchronous providers. Nothing is lost, submitted twice or paid twice, and no step fails
that its provider never saw. bench/bench_chaos.py runs the full 200-run version."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos import chaos_dramatiq, chaos_embedded

RUNS, KILLS = 20, 3  # each runner: 20 runs and 3 kills
UNRECONCILABLE = {"fal", "minimax", "together"}  # non-idempotent, no lookup (engine.recovery)


def check(figures) -> None:  # type: ignore[no-untyped-def]
    print(figures.line())
    assert figures.lost == 0, figures
    assert figures.duplicates == 0, figures
    assert figures.double_captures == 0, figures
    # Never sent and failed (issue 25, defect 1): never, at any provider. Marked sent and
    # lost on the way to a provider that cannot be reconciled (fal, MiniMax, Together): the
    # few event-loop turns between the mark's commit and the request's first byte
    # (storage.send_gate), reported (bench/bench_chaos.py), allowed only there.
    assert figures.failed_unseen == figures.failed_unseen_marked, figures.unseen
    assert all(line.split("/")[0] in UNRECONCILABLE for line in figures.unseen), figures.unseen
    assert figures.ledger_ok, figures
    assert figures.succeeded + figures.failed_seen + figures.failed_unseen == figures.runs


@pytest.mark.slow
async def test_chaos_embedded_serve_killed(tmp_path: Path) -> None:
    check(await chaos_embedded(tmp_path, RUNS, KILLS))


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.s3
async def test_chaos_dramatiq_worker_killed(tmp_path: Path, moto_endpoint: str) -> None:
    check(await chaos_dramatiq(tmp_path, moto_endpoint, RUNS, KILLS))
