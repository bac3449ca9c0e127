"""The whole series flow in sandbox, with real runs: agents, studio, script, vote, period
close → production (poster, narration, four real clips) → tip-votes from several wallets
→ clip voting closes → 5 episodes assembled with ffmpeg (decoded, durations checked) →
payouts split exactly. Then an audio miniseries, privacy with the purge, and staking."""

from __future__ import annotations

import asyncio
import copy
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av
import httpx

from reelforge.apps.series.jobs import run_all
from reelforge.apps.series.wiring import platform_of
from reelforge.container import Container
from tests.series_helpers import AUDIO_PACK, Wallet, payment_header, register, script_data


async def until(platform: Any, now: datetime, check: Any, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        await run_all(platform, now)
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.3)


def decoded_seconds(path: Path) -> tuple[float, bool]:
    with av.open(str(path)) as f:
        video = f.streams.video[0]
        frames = sum(1 for _ in f.decode(video))
        rate = float(video.average_rate or 24)
    with av.open(str(path)) as f:
        has_audio = bool(f.streams.audio)
    return frames / rate, has_audio


async def test_series_flow_end_to_end(
    run_client: httpx.AsyncClient, running: Container, tmp_path: Path
) -> None:
    c = run_client
    platform = platform_of(running)
    author = await register(c, "auteur")
    voter = await register(c, "critic")
    studio = (
        await c.post(
            "/api/v1/studios",
            json={"category_slug": "sci_fi", "suffix": "Dust"},
            headers=author["headers"],
        )
    ).json()
    draft = (
        await c.post(
            "/api/v1/scripts",
            json={
                "studio_id": studio["id"],
                "title": "Dust Protocol",
                "logline": "A courier crosses a dead desert.",
                "script_data": script_data(),
            },
            headers=author["headers"],
        )
    ).json()
    sid = draft["id"]
    await c.post(f"/api/v1/scripts/{sid}/submit", headers=author["headers"])
    now = platform.now()
    await run_all(platform, now)
    assert (await c.get(f"/api/v1/scripts/{sid}")).json()["status"] == "voting"
    r = await c.post(f"/api/v1/voting/scripts/{sid}/upvote", headers=voter["headers"])
    assert r.status_code == 200
    period = (await c.get("/api/v1/voting/periods/current")).json()

    closed_at = now + timedelta(hours=24, seconds=1)
    started = time.monotonic()

    async def voting_open() -> Any:
        r = await c.get(f"/api/v1/production/{sid}")
        return r.json() if r.status_code == 200 and r.json()["status"] == "voting" else None

    prod = await until(platform, closed_at, voting_open)
    print(f"period close → four clips: {time.monotonic() - started:.2f} s")
    results = (await c.get(f"/api/v1/voting/periods/{period['id']}/results")).json()
    assert results[0]["winning_script_id"] == sid
    assert prod["poster_url"] and prod["tts_url"] and len(prod["clip_variants"]) == 4
    for i, url in enumerate(prod["clip_variants"]):
        body = (await c.get(url.replace(platform.config.public_base_url, ""))).content
        (tmp_path / f"clip{i}.mp4").write_bytes(body)
        seconds, _ = decoded_seconds(tmp_path / f"clip{i}.mp4")
        assert seconds > 1
    poster = await c.get(prod["poster_url"].replace(platform.config.public_base_url, ""))
    assert poster.headers["content-type"].startswith("image/")

    # Tip-votes from several wallets: variant 2 wins with two votes.
    series_id = prod["limited_series_id"]
    assert (await c.get(f"/api/v1/series/{series_id}")).json()["status"] == "pilot_voting"
    variants = [v["variant_id"] for v in prod["variants"]]
    total = 0
    for wallet, variant, cents in [
        (Wallet(), variants[2], 25),
        (Wallet(), variants[2], 40),
        (Wallet(), variants[0], 10),
    ]:
        req = await c.post(f"/api/v1/voting/clips/{variant}/tip", json={"tip_amount_cents": cents})
        acc = req.json()["accepts"][0]
        r = await c.post(
            f"/api/v1/voting/clips/{variant}/tip",
            json={"tip_amount_cents": cents},
            headers={"X-PAYMENT": payment_header(wallet, acc)},
        )
        assert r.status_code == 200, r.text
        parts = [s["amount_micros"] for s in r.json()["splits"]]
        assert sum(parts) == cents * 10_000
        total += cents * 10_000

    async def series_done() -> Any:
        s = (await c.get(f"/api/v1/series/{series_id}")).json()
        if s["status"] == "producing":
            assert all(e["status"] != "failed" for e in s["episodes"]), s
        return s if s["status"] == "complete" else None

    clips_close = closed_at + timedelta(hours=48)
    done = await until(platform, clips_close, series_done, timeout=240)
    votes = (await c.get(f"/api/v1/voting/series/{series_id}/clips")).json()
    assert [v["is_winner"] for v in votes] == [False, False, True, False]
    assert done["winning_clip_url"] and done["poster_url"]
    assert [e["episode_number"] for e in done["episodes"]] == [0, 1, 2, 3, 4]
    for e in done["episodes"]:
        path = tmp_path / f"ep{e['episode_number']}.mp4"
        path.write_bytes(
            (await c.get(e["video_url"].replace(platform.config.public_base_url, ""))).content
        )
        seconds, has_audio = decoded_seconds(path)
        assert has_audio
        # Six shots of the sandbox's 5 s clips, concatenated.
        assert 28 <= seconds <= 32, (e, seconds)
        assert abs(seconds - e["duration_seconds"]) < 0.5
    listed = (await c.get("/api/v1/series", params={"medium": "video"})).json()
    assert [s["id"] for s in listed] == [series_id]
    assert (await c.get(f"/api/v1/agents/{done['creator_agent_id']}/series")).json()[0][
        "id"
    ] == series_id
    assert (await c.get("/api/v1/categories/sci_fi/series")).json()[0]["id"] == series_id
    history = (await c.get("/api/v1/wallet/payouts", headers=author["headers"])).json()
    assert sum(p["amount_micros"] for p in history) == total
    by_kind: dict[str, int] = {}
    for p in history:
        by_kind[p["recipient_type"]] = by_kind.get(p["recipient_type"], 0) + p["amount_micros"]
    assert by_kind == {"creator": 600000, "platform": 142500, "agent": 7500}


async def test_audio_miniseries_privacy_and_staking(
    run_client: httpx.AsyncClient, running: Container
) -> None:
    c = run_client
    platform = platform_of(running)
    agent = await register(c, "narrator")
    h = agent["headers"]
    studio = (
        await c.post(
            "/api/v1/studios", json={"category_slug": "crime", "suffix": "Radio"}, headers=h
        )
    ).json()
    pack: dict[str, Any] = copy.deepcopy(AUDIO_PACK)
    bad = dict(pack, episodes=pack["episodes"][:4])
    bad["episodes"] = [*bad["episodes"], dict(pack["episodes"][4], episode_number=7)]
    r = await c.post(
        "/api/v1/audio-series", json={"studio_id": studio["id"], "audio_pack": bad}, headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_SCRIPT"
    assert any(
        v["path"] == "$.episodes[4].episode_number"
        for v in r.json()["error"]["detail"]["violations"]
    )
    r = await c.post(
        "/api/v1/audio-series", json={"studio_id": studio["id"], "audio_pack": pack}, headers=h
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    early = await c.post(f"/api/v1/series/{sid}/tip", json={})
    assert early.status_code == 409  # tip-eligible only once complete

    async def complete() -> Any:
        s = (await c.get(f"/api/v1/series/{sid}")).json()
        return s if s["status"] == "complete" else None

    done = await until(platform, platform.now(), complete)
    assert all(e["duration_seconds"] and e["duration_seconds"] > 1 for e in done["episodes"])
    acc = (await c.post(f"/api/v1/series/{sid}/tip", json={})).json()["accepts"][0]
    r = await c.post(
        f"/api/v1/series/{sid}/tip", json={}, headers={"X-PAYMENT": payment_header(Wallet(), acc)}
    )
    assert r.status_code == 200, r.text
    assert (await c.get("/api/v1/series", params={"medium": "audio"})).json()[0]["revenue"] == {
        "tip_total_cents": 25
    }

    # Preferences merge; export downloads; delete releases studios; purge after 30 days.
    p = await c.patch(
        "/api/v1/agents/me/preferences", json={"notifications": {"post_vote": False}}, headers=h
    )
    prefs = p.json()["preferences"]["notifications"]
    assert prefs["post_vote"] is False and prefs["tips_received"] is True
    assert (await c.get("/api/v1/agents/me/preferences", headers=h)).json()["preferences"][
        "notifications"
    ] == prefs
    export = await c.get("/api/v1/agents/me/export", headers=h)
    assert export.headers["content-disposition"].startswith("attachment")
    data = export.json()
    assert data["summary"]["owned_studios"] == 1 and data["tips_received"]
    assert "…" in data["agent"]["wallet_address"]
    deleted = (await c.delete("/api/v1/agents/me", headers=h)).json()
    assert deleted["retention_days"] == 30
    assert (await c.get("/api/v1/studios", headers=h)).json() == []
    assert (await c.get("/api/v1/agents/me", headers=h)).status_code == 200  # key valid until purge
    from reelforge.apps.series import privacy

    assert await privacy.purge_due(platform, platform.now() + timedelta(days=29)) == 0
    assert await privacy.purge_due(platform, platform.now() + timedelta(days=30, seconds=1)) == 1
    from reelforge.api.deps import forget_key_cache

    forget_key_cache()
    assert (await c.get("/api/v1/agents/me", headers=h)).status_code == 401

    for method, path in [
        ("GET", "/api/v1/staking/pools"),
        ("GET", "/api/v1/staking/nonce"),
        ("POST", "/api/v1/staking/stake"),
    ]:
        r = await c.request(method, path)
        assert r.status_code == 503 and r.json()["error"]["code"] == "FEATURE_DISABLED", path


async def test_recovery_by_new_signed_registration(client: httpx.AsyncClient) -> None:
    agent = await register(client, "phoenix")
    await client.delete("/api/v1/agents/me", headers=agent["headers"])
    again = await register(client, "phoenix", agent["wallet"], claim=False)
    assert again["recovered"] is True and again["agent"]["deleted_at"] is None


async def test_scheduled_jobs_run_once_per_tick_across_processes(container: Container) -> None:
    from reelforge.jobs.scheduled import ScheduledJob, Scheduler

    calls: list[str] = []

    async def job(now: datetime) -> None:
        calls.append(now.isoformat())

    jobs = [ScheduledJob("test.tick", 60.0, job)]
    a, b = Scheduler(container.db, jobs), Scheduler(container.db, jobs)
    now = platform_of(container).now()
    assert await a.tick(now) == ["test.tick"]
    assert await b.tick(now + timedelta(seconds=30)) == []  # a holds the lease
    assert await b.tick(now + timedelta(seconds=61)) == ["test.tick"]
    assert await a.tick(now + timedelta(seconds=62)) == []
    assert len(calls) == 2 and (await a.leases())["test.tick"] == b.holder
    # The serve/worker container runs the series' jobs on its scheduler.
    names = {j.name for j in __import__("reelforge.app", fromlist=["x"]).product_jobs(container)}
    assert {"series.voting_periods", "series.productions", "series.purge"} <= names
