"""Job history, gallery and analytics at size: 20 000 runs (one step and one artifact
each, 40 events in one run) of one user on SQLite, spread over 30 days, four providers, three statuses.

Figures (medians of repeated requests through the ASGI app, so the HTTP stack is in them):
- GET /v1/runs unfiltered and with each filter (page of 50);
- GET /v1/artifacts unfiltered and by kind, model and run (page of 50);
- GET /v1/analytics/usage|spend|providers over the 30 days;
- GET /v1/runs/{id}/logs of a 40-event run;
- a 1024×1024 image's and a 5 s 720p video's thumbnail: first request (encoded) vs the
  next ones (read back), and the encoder's call count (must stay 1 each).

``python -m bench.run history`` prints the JSON.
"""

from __future__ import annotations

import asyncio
import io
import random
import statistics
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from reelforge.api.history_deps import thumbnails
from reelforge.app import api_app, open_container
from reelforge.domain.ids import new_id
from reelforge.media.tools import ffmpeg_exe
from reelforge.settings import Settings
from reelforge.storage.artifact_tables import ArtifactRow
from reelforge.storage.run_tables import RunEventRow, RunRow, StepRow
from reelforge.storage.tables import utcnow

RUNS = 20_000
MODELS = ["fal/flux-dev", "together/flux-1-dev", "replicate/flux-schnell", "runway/gen4"]
WORDS = "fox owl harbour lighthouse city night rain castle forest desert".split()


async def _seed(container: Any, owner_id: str) -> str:
    rnd = random.Random(7)
    now = utcnow()
    runs, steps = [], []
    for i in range(RUNS):
        created = now - timedelta(seconds=rnd.uniform(0, 30 * 86400))
        model = MODELS[i % len(MODELS)]
        status = rnd.choices(["succeeded", "failed", "canceled"], [8, 1.5, 0.5])[0]
        prompt = " ".join(rnd.sample(WORDS, 3))
        run_id = new_id("run")
        runs.append(
            RunRow(
                id=run_id,
                owner_id=owner_id,
                status=status,
                pipeline={"nodes": [{"id": "gen", "model": model, "prompt": prompt}]},
                preset="portrait_v1" if i % 10 == 0 else None,
                quote_micros=25_000,
                price_unknown=False,
                hold_micros=25_000,
                cost_micros=25_000 if status == "succeeded" else 0,
                allow_cache=False,
                created_at=created,
                finished_at=created + timedelta(seconds=5),
            )
        )
        steps.append(
            StepRow(
                id=new_id("stp"),
                run_id=run_id,
                owner_id=owner_id,
                node_id="gen",
                status=status,
                model=model,
                mode="t2i",
                request={"prompt": prompt},
                depends_on=[],
                provider=model.split("/")[0],
                served_by=model,
                idempotency_key=run_id,
                cost_micros=25_000 if status == "succeeded" else 0,
                created_at=created,
                submitted_at=created + timedelta(seconds=0.2),
                finished_at=created + timedelta(seconds=rnd.uniform(2, 9)),
            )
        )
    logged = runs[-1].id
    artifacts = [
        ArtifactRow(
            id=new_id("art"),
            owner_id=owner_id,
            sha256="0" * 64,
            size=1000,
            content_type="video/mp4" if i % 4 == 3 else "image/png",
            kind="video" if i % 4 == 3 else "image",
            name="gen-0",
            sandbox=False,
            provenance={"model": step.model, "run_id": step.run_id, "prompt": "x"},
            created_at=step.created_at,
        )
        for i, step in enumerate(steps)
    ]
    async with container.db.transaction() as s:
        s.add_all(runs)
        await s.flush()  # no relationships mapped: the rows go in foreign-key order by hand
        s.add_all(steps)
        s.add_all(artifacts)
        await s.flush()
        s.add_all(
            RunEventRow(
                run_id=logged,
                step_id=steps[-1].id,
                type="step.progress",
                data={"progress": i / 40, "url": "https://x.example/o.png?sig=abc"},
                created_at=now,
            )
            for i in range(40)
        )
    return logged


async def _median_ms(client: httpx.AsyncClient, url: str, repeat: int = 7, **params: Any) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = await client.get(url, params=params)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200 and (r.headers["content-type"] != "application/json"
                                         or r.json().get("ok", True)), r.text  # fmt: skip
    return round(statistics.median(times), 2)


async def _thumbs(container: Any, client: httpx.AsyncClient, work: Path) -> dict[str, Any]:
    image = work / "big.png"
    Image.effect_noise((1024, 1024), 60).convert("RGB").save(image)
    video = work / "clip.mp4"
    await asyncio.to_thread(
        subprocess.run,
        [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=1280x720:rate=30:duration=5", "-pix_fmt", "yuv420p", str(video)],
        check=True,
    )  # fmt: skip
    service = thumbnails(container)
    real, calls = service.encoder, []

    def counting(path: Path) -> Any:
        calls.append(path)
        return real(path)

    service.encoder = counting
    out: dict[str, Any] = {}
    for name, path in (("image_1024", image), ("video_720p_5s", video)):
        up = await client.post("/v1/uploads", files={"file": (path.name, path.read_bytes())})
        art = up.json()["id"]
        t = time.perf_counter()
        first = await client.get(f"/v1/artifacts/{art}/thumbnail")
        first_ms = (time.perf_counter() - t) * 1000
        again = await _median_ms(client, f"/v1/artifacts/{art}/thumbnail")
        out[name] = {
            "first_request_ms": round(first_ms, 1),
            "stored_request_ms": again,
            "thumbnail_bytes": len(first.content),
            "thumbnail_size": Image.open(io.BytesIO(first.content)).size,
        }
    out["encodes"] = len(calls)  # 2: one per source, whatever the number of requests
    return out


async def _main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, home=Path(tmp) / "home", log_level="WARNING")  # type: ignore[call-arg]
        async with open_container(settings) as container:
            key = settings.owner_key_path.read_text().strip()
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api_app(container)),
                base_url="http://bench",
                headers={"Authorization": f"Bearer {key}"},
                timeout=120,
            ) as client:
                owner = (await client.get("/v1/me")).json()["id"]
                t = time.perf_counter()
                logged = await _seed(container, owner)
                seed_s = time.perf_counter() - t
                week = (utcnow() - timedelta(days=7)).isoformat()
                lists = {
                    name: await _median_ms(client, "/v1/runs", **params)
                    for name, params in {
                        "unfiltered": {},
                        "status_failed": {"status": "failed"},
                        "preset": {"preset": "portrait_v1"},
                        "model": {"model": "runway/gen4"},
                        "provider": {"provider": "together"},
                        "last_7_days": {"created_after": week},
                        "text_q": {"q": "lighthouse"},
                        "text_q_rare": {"q": "no such words"},
                    }.items()
                }
                gallery = {
                    name: await _median_ms(client, "/v1/artifacts", **params)
                    for name, params in {
                        "unfiltered": {},
                        "kind_video": {"kind": "video"},
                        "model": {"model": "runway/gen4"},
                        "run_id": {"run_id": logged},
                    }.items()
                }
                analytics = {
                    what: await _median_ms(client, f"/v1/analytics/{what}", repeat=5)
                    for what in ("usage", "spend", "providers")
                }
                logs = await _median_ms(client, f"/v1/runs/{logged}/logs")
                thumbs = await _thumbs(container, client, Path(tmp))
    return {
        "runs": RUNS,
        "seed_seconds": round(seed_s, 1),
        "list_runs_p50_ms": lists,
        "list_artifacts_p50_ms": gallery,
        "analytics_p50_ms_30_days": analytics,
        "logs_40_events_p50_ms": logs,
        "thumbnails": thumbs,
    }


def run() -> dict[str, Any]:
    return asyncio.run(_main())
