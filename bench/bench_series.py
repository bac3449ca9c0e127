"""Series platform: x402 tip-vote latency (p50/p99, one at a time, through the API with
the built-in local facilitator: decode, EIP-3009 signature recovery, nonce check,
settlement, vote, 80/19/1 ledger split and payouts in one transaction), tip-votes per
second from 500 distinct wallets in parallel, and the time from a voting period's close
to four stored clips in sandbox. Payments are signed before the clock starts (the
client's cost, not the server's)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import make_settings
from tests.series_helpers import Wallet, payment_header, register, script_data

from reelforge.app import api_app, open_container
from reelforge.apps.series.jobs import run_all
from reelforge.apps.series.wiring import platform_of
from reelforge.storage.series_tables import (
    SeriesClipVariantRow,
    SeriesProductionRow,
    SeriesScriptRow,
)

LATENCY_TIPS = 200
WALLETS = 500
PARALLEL = 32


async def _voting(c: httpx.AsyncClient, container: Any) -> list[str]:
    agent = await register(c, "bench_author")
    studio = (
        await c.post(
            "/api/v1/studios",
            json={"category_slug": "drama", "suffix": "Bench"},
            headers=agent["headers"],
        )
    ).json()
    now = platform_of(container).now()
    async with container.db.transaction() as s:
        s.add(
            SeriesScriptRow(
                id="scr_b",
                studio_id=studio["id"],
                agent_id=studio["creator_id"],
                category="drama",
                title="B",
                logline="A logline long enough",
                script_data=script_data("drama"),
                pilot_status="produced",
                up_votes=0,
                down_votes=0,
            )
        )
        s.add(
            SeriesProductionRow(
                id="prd_b",
                script_id="scr_b",
                agent_id=studio["creator_id"],
                status="voting",
                voting_ends_at=now + timedelta(hours=24),
            )
        )
        for i in range(4):
            s.add(
                SeriesClipVariantRow(
                    id=f"clp_b{i}",
                    production_id="prd_b",
                    position=i,
                    prompt="p",
                    vote_count=0,
                    tip_total_micros=0,
                )
            )
    return [f"clp_b{i}" for i in range(4)]


async def _tips(home: Path) -> dict[str, Any]:
    async with open_container(make_settings(home)) as container:
        transport = httpx.ASGITransport(app=api_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
            variants = await _voting(c, container)
            acc = (await c.post(f"/api/v1/voting/clips/{variants[0]}/tip", json={})).json()[
                "accepts"
            ][0]
            wallets = [Wallet() for _ in range(WALLETS)]
            # Latency: one at a time, distinct wallets, variant 0.
            signed = [payment_header(w, acc) for w in wallets[:LATENCY_TIPS]]
            for h in signed[:10]:  # warm-up (first queries, caches), on variant 1
                await c.post(
                    f"/api/v1/voting/clips/{variants[1]}/tip", json={}, headers={"X-PAYMENT": h}
                )
            times = []
            for h in signed[10:]:
                t = time.perf_counter()
                r = await c.post(
                    f"/api/v1/voting/clips/{variants[0]}/tip", json={}, headers={"X-PAYMENT": h}
                )
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text
            times.sort()
            # Throughput: 500 distinct wallets on variant 2, PARALLEL in flight.
            burst = [payment_header(w, acc) for w in wallets]
            queue = list(burst)
            ok = 0

            async def worker() -> None:
                nonlocal ok
                while queue:
                    h = queue.pop()
                    r = await c.post(
                        f"/api/v1/voting/clips/{variants[2]}/tip", json={}, headers={"X-PAYMENT": h}
                    )
                    ok += r.status_code == 200

            t = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(PARALLEL)))
            elapsed = time.perf_counter() - t
    return {
        "tip_vote_p50_ms": round(statistics.median(times), 2),
        "tip_vote_p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
        "latency_samples": len(times),
        "tip_votes_per_s_500_wallets": round(ok / elapsed, 1),
        "burst_ok": ok,
        "burst_parallel": PARALLEL,
    }


async def _close_to_clips(home: Path) -> float:
    async with open_container(make_settings(home), start_runner=True) as container:
        platform = platform_of(container)
        transport = httpx.ASGITransport(app=api_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
            author, voter = await register(c, "a_bench"), await register(c, "v_bench")
            studio = (
                await c.post(
                    "/api/v1/studios",
                    json={"category_slug": "sci_fi", "suffix": "Bench"},
                    headers=author["headers"],
                )
            ).json()
            sid = (
                await c.post(
                    "/api/v1/scripts",
                    json={
                        "studio_id": studio["id"],
                        "title": "B",
                        "logline": "A logline long enough",
                        "script_data": script_data(),
                    },
                    headers=author["headers"],
                )
            ).json()["id"]
            await c.post(f"/api/v1/scripts/{sid}/submit", headers=author["headers"])
            now = platform.now()
            await run_all(platform, now)
            await c.post(f"/api/v1/voting/scripts/{sid}/upvote", headers=voter["headers"])
            later = now + timedelta(hours=25)
            t = time.perf_counter()
            while True:
                await run_all(platform, later)
                status = (await c.get(f"/api/v1/production/{sid}")).json()
                if status.get("status") == "voting":
                    return time.perf_counter() - t
                await asyncio.sleep(0.05)


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = asyncio.run(_tips(Path(tmp) / "tips"))
        out["period_close_to_four_clips_s"] = round(
            asyncio.run(_close_to_clips(Path(tmp) / "p")), 2
        )
    out["goal"] = "tip_vote_p50_ms < 20"
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
