"""Analytics over HTTP: runs per day, spend per provider and day, success rate and p50 per
model, from our own database, scoped to the caller (all users for an owner or admin); and
when a query fails or outlasts its budget the answer is still 200 {ok: false, message}."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from reelforge.api.history_deps import analytics
from reelforge.app import api_app, open_container
from reelforge.container import Container
from reelforge.storage.run_tables import RunRow, StepRow
from reelforge.storage.tables import utcnow
from tests.conftest import make_settings
from tests.integration.routing_world import World
from tests.integration.test_users_api import key_for, make_user


async def get(client: httpx.AsyncClient, what: str, **params: Any) -> dict[str, Any]:
    r = await client.get(f"/v1/analytics/{what}", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["ok"] is True, body
    return body["data"]  # type: ignore[no-any-return]


async def test_usage_spend_and_providers_from_our_runs(world: World) -> None:
    fox = await world.generate(model="fal/flux-dev", prompt="a fox", fallbacks=[])
    owl = await world.generate(model="fal/flux-dev", prompt="an owl", fallbacks=[])
    await world.fault(world.together_url, kind="moderation", on="submit", times=1)
    refused = await world.generate(
        model="together/flux-1-dev", prompt="no", fallbacks=[], max_micros=30_000
    )
    assert [fox["status"], owl["status"], refused["status"]] == ["succeeded"] * 2 + ["failed"]
    member = await make_user(world.client, name="m", role="member")
    key = await key_for(world.client, member["id"])
    other = httpx.AsyncClient(
        transport=world.client._transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {key}"},
    )
    async with other:
        r = await other.post("/v1/generations", json={"model": "fal/flux-dev", "prompt": "m"})
        mine = await World(other, world.container, world.fal, world.fal_url, world.together,
                           world.together_url).wait(r.json()["id"])  # fmt: skip
        assert mine["status"] == "succeeded"

        usage = await get(world.client, "usage")
        today = utcnow().date().isoformat()
        assert usage["runs"] == 3 and usage["by_status"] == {"succeeded": 2, "failed": 1}
        assert usage["per_day"] == [
            {"day": today, "runs": 3, "by_status": {"succeeded": 2, "failed": 1}}
        ]
        assert usage["days"] == 30

        spend = await get(world.client, "spend", days=7)
        assert spend["days"] == 7
        assert spend["total"] == {"micros": 50_000, "formatted": "$0.05"}
        assert spend["per_provider"] == [
            {"provider": "fal", "steps": 2, "micros": 50_000, "formatted": "$0.05"}
        ]
        assert spend["per_day"] == [{"day": today, "micros": 50_000, "formatted": "$0.05"}]

        providers = await get(world.client, "providers")
        by_provider = {p["provider"]: p for p in providers["providers"]}
        assert by_provider["fal"]["success_rate"] == 1.0 and by_provider["fal"]["steps"] == 2
        assert by_provider["together"]["success_rate"] == 0.0
        models = {x["model"]: x for x in providers["models"]}
        assert models["fal/flux-dev"]["p50_seconds"] > 0
        assert models["together/flux-1-dev"]["p50_seconds"] is None

        # The owner may see everyone; a member sees their own and may not ask for all.
        everyone = await get(world.client, "usage", scope="all")
        assert everyone["runs"] == 4
        assert (await get(other, "usage"))["runs"] == 1
        assert (await get(other, "spend"))["total"]["micros"] == 25_000
        refused_all = await other.get("/v1/analytics/spend", params={"scope": "all"})
        assert refused_all.status_code == 403
        assert refused_all.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "params", [{"days": 0}, {"days": 367}, {"days": "week"}, {"scope": "some"}, {"window": 3}]
)
async def test_bad_parameters_are_refused_clearly(client: httpx.AsyncClient, params: Any) -> None:
    r = await client.get("/v1/analytics/usage", params=params)
    assert r.status_code in (400, 422) and r.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("what", ["usage", "spend", "providers"])
async def test_a_missing_table_answers_ok_false(
    client: httpx.AsyncClient, container: Container, what: str
) -> None:
    async with container.db.transaction() as s:
        await s.execute(text("ALTER TABLE runs RENAME TO runs_gone"))
        await s.execute(text("ALTER TABLE steps RENAME TO steps_gone"))
    r = await client.get(f"/v1/analytics/{what}")
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "ok": False,
        "data": None,
        "error": "ANALYTICS_UNAVAILABLE",
        "message": body["message"],
    }
    assert body["message"] and "steps" not in body["message"]  # no SQL in the page


async def test_a_session_that_raises_answers_ok_false(
    client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await client.get("/v1/analytics/usage")).json()["ok"] is True
    service = analytics(container)

    def broken() -> Any:
        raise ConnectionError("database is gone")

    monkeypatch.setattr(service.db, "session", broken)
    for what in ("usage", "spend", "providers"):
        r = await client.get(f"/v1/analytics/{what}")
        assert r.status_code == 200 and r.json()["ok"] is False, r.text


async def test_a_query_past_its_budget_answers_ok_false(
    client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = analytics(container)
    monkeypatch.setattr(service, "timeout_seconds", 0.2)
    started = asyncio.Event()
    finished: list[bool] = []

    async def slow(owner_id: str | None, days: int) -> dict[str, Any]:
        started.set()
        try:
            await asyncio.sleep(30)
        finally:
            finished.append(True)
        return {}

    monkeypatch.setattr(service, "_spend", slow)
    r = await client.get("/v1/analytics/spend")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is False and body["error"] == "ANALYTICS_TIMEOUT", body
    assert "?days=" in body["message"]
    assert started.is_set()
    await asyncio.sleep(0)  # the abandoned query is cancelled, not left running
    assert finished == [True]
    # The other answers are unaffected.
    assert (await client.get("/v1/analytics/usage")).json()["ok"] is True


async def test_history_gallery_and_analytics_on_each_database(
    any_db_url: str, tmp_path: Path
) -> None:
    """The same SQL on SQLite and PostgreSQL (JSON paths, text search, UTC days)."""
    settings = make_settings(tmp_path / "home", database_url=any_db_url)
    async with open_container(settings, upgrade_db=True, start_runner=True) as container:
        key = settings.owner_key_path.read_text().strip()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api_app(container), raise_app_exceptions=False),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ) as c:
            r = await c.post(
                "/v1/generations",
                json={"model": "fal/flux-dev", "prompt": "a Café by the sea"},
                headers={"Prefer": "wait=60"},
            )
            run = r.json()
            assert r.status_code == 200 and run["status"] == "succeeded", r.text
            for params, found in [
                ({"q": "café"}, True),
                ({"q": "CAFÉ BY"}, True),  # Unicode case folding on both databases
                ({"q": "castle"}, False),
                ({"model": "fal/flux-dev", "provider": "fal", "status": "succeeded"}, True),
                ({"provider": "together"}, False),
                ({"created_after": "2000-01-01", "created_before": "2999-01-01"}, True),
            ]:
                page = (await c.get("/v1/runs", params=params)).json()
                assert [x["id"] for x in page["runs"]] == ([run["id"]] if found else []), params
            art = run["outputs"][0]["artifact_id"]
            gallery = (await c.get("/v1/artifacts", params={"model": "fal/flux-dev"})).json()
            assert [a["id"] for a in gallery["artifacts"]] == [art]
            assert (await c.get(f"/v1/artifacts/{art}/thumbnail")).status_code == 200
            today = utcnow().date().isoformat()
            usage = await get(c, "usage")
            assert usage["per_day"] == [{"day": today, "runs": 1, "by_status": {"succeeded": 1}}]
            assert (await get(c, "spend"))["total"]["micros"] == 0  # sandbox work is free
            models = (await get(c, "providers"))["models"]
            assert [m["model"] for m in models] == ["fal/flux-dev"]


async def test_medians_and_rates_are_computed_right(any_db_url: str, tmp_path: Path) -> None:
    """Known step times: model a took 1, 2, 3 and 10 s (p50 2.5), b 5 s once, and a cache
    hit (0 s) is no provider's time; a failure counts against the rate, not the median."""
    settings = make_settings(tmp_path / "home", database_url=any_db_url)
    async with open_container(settings, upgrade_db=True) as container:
        async with container.db.session() as s:
            owner = (await s.execute(text("SELECT id FROM users LIMIT 1"))).scalar_one()
        now = utcnow()
        plan = [("fal/a", "fal/a", 1), ("fal/a", "fal/a", 2), ("fal/a", "fal/a", 3),
                ("fal/a", "fal/a", 10), ("fal/b", "fal/b", 5), ("fal/a", "cache", 0),
                ("fal/b", None, None)]  # fmt: skip
        async with container.db.transaction() as s:
            for i, (model, served_by, secs) in enumerate(plan):
                run_id = f"run_{i}"
                s.add(RunRow(id=run_id, owner_id=owner, status="succeeded", pipeline={},
                             quote_micros=0, price_unknown=False, cost_micros=0,
                             allow_cache=False, created_at=now))  # fmt: skip
                await s.flush()
                s.add(
                    StepRow(
                        id=f"stp_{i}", run_id=run_id, owner_id=owner, node_id="gen",
                        status="failed" if secs is None else "succeeded", model=model,
                        mode="t2i", request={}, depends_on=[], idempotency_key=run_id,
                        provider=None if served_by == "cache" else "fal", served_by=served_by,
                        created_at=now - timedelta(seconds=100),
                        submitted_at=now - timedelta(seconds=secs or 0),
                        finished_at=now,
                    )
                )  # fmt: skip
        data = (await analytics(container).providers(None, 1))["data"]
        models = {m["model"]: m for m in data["models"]}
        assert models["fal/a"]["p50_seconds"] == 2.5 and models["fal/a"]["steps"] == 5
        assert models["fal/b"]["p50_seconds"] == 5.0
        assert models["fal/b"]["success_rate"] == 0.5
        assert data["providers"] == [
            {"provider": "fal", "steps": 7, "succeeded": 6, "failed": 1, "success_rate": 0.8571}
        ]
