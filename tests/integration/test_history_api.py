"""Job history over HTTP on live emulators (fal, Together on 127.0.0.1): every filter of
GET /v1/runs narrows to exactly the runs it should, the run view names its engines, cost,
error code and remediation, logs and "Copy details" are redacted, and one user never sees
another's runs."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update

from reelforge.logs import register_secret
from reelforge.storage.run_tables import RunRow
from reelforge.storage.tables import utcnow
from tests.integration.routing_world import World
from tests.integration.test_users_api import key_for, make_user

CANARY = "canary-hist-5e1f0c2a9b7d"  # registered, as a stored provider key would be
UNREGISTERED = "canary-unreg-8d4b2f6a13c0"  # never registered: caught by shape alone


def ids(page: dict[str, Any]) -> list[str]:
    return [r["id"] for r in page["runs"]]


async def _runs(world: World) -> dict[str, dict[str, Any]]:
    fox = await world.generate(model="fal/flux-dev", prompt="a red fox in snow", fallbacks=[])
    cafe = await world.generate(
        model="together/flux-1-dev", prompt="a Café at night, rain", fallbacks=[], max_micros=30_000
    )
    await world.fault(world.together_url, kind="moderation", on="submit", times=1)
    refused = await world.generate(
        model="together/flux-1-dev", prompt="something refused", fallbacks=[], max_micros=30_000
    )
    assert [fox["status"], cafe["status"], refused["status"]] == [
        "succeeded",
        "succeeded",
        "failed",
    ], refused
    # No preset compiles yet in this branch: the column is set as a preset run would set it.
    async with world.container.db.transaction() as s:
        await s.execute(update(RunRow).where(RunRow.id == cafe["id"]).values(preset="night_v1"))
    return {"fox": fox, "cafe": cafe, "refused": refused}


async def test_each_filter_narrows_to_the_right_runs(world: World) -> None:
    runs = await _runs(world)
    fox, cafe, refused = runs["fox"]["id"], runs["cafe"]["id"], runs["refused"]["id"]
    c = world.client

    async def find(**params: Any) -> list[str]:
        r = await c.get("/v1/runs", params=params)
        assert r.status_code == 200, r.text
        return ids(r.json())

    assert await find() == [refused, cafe, fox]  # newest first
    assert await find(status="failed") == [refused]
    assert await find(status="succeeded") == [cafe, fox]
    assert await find(status="canceled") == []
    assert await find(preset="night_v1") == [cafe]
    assert await find(model="fal/flux-dev") == [fox]
    assert await find(model="together/flux-1-dev") == [refused, cafe]
    assert await find(provider="fal") == [fox]
    assert await find(provider="together") == [refused, cafe]
    assert await find(provider="fa") == []  # a provider is named whole, not by prefix
    assert await find(q="fox") == [fox]
    assert await find(q="café") == [cafe]  # non-ASCII prompt text, read out of the JSON
    assert await find(q="CAFÉ AT") == [cafe]  # Unicode case folding, on SQLite too
    assert await find(q="NIGHT") == [cafe]  # case-insensitive; matches the prompt and preset
    assert await find(q="night_v") == [cafe]  # the preset id
    assert await find(q="%") == []  # a LIKE wildcard is a literal character
    assert await find(status="succeeded", provider="together") == [cafe]  # AND

    created = {r["id"]: r["created_at"] for r in (await c.get("/v1/runs")).json()["runs"]}
    assert await find(created_after=created[cafe]) == [refused, cafe]  # inclusive
    assert await find(created_before=created[cafe]) == [fox]  # exclusive
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert await find(created_before=tomorrow) == [refused, cafe, fox]  # a date is midnight UTC
    assert await find(created_after=tomorrow) == []
    naive = created[cafe].replace("+00:00", "").replace("Z", "")
    assert await find(created_after=naive) == [refused, cafe]  # naive times are UTC

    # Cursor paging with filters kept.
    first = (await c.get("/v1/runs", params={"limit": 1, "provider": "together"})).json()
    assert ids(first) == [refused] and first["next_before"] == refused
    rest = (
        await c.get("/v1/runs", params={"limit": 1, "provider": "together", "before": refused})
    ).json()
    assert ids(rest) == [cafe]

    # Strict parameters: clear errors, never an ignored filter.
    for params, field in [
        ({"status": "done"}, "status"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"stauts": "failed"}, None),
        ({"q": ""}, "q"),
    ]:
        r = await c.get("/v1/runs", params=params)
        assert r.status_code in (400, 422), (params, r.text)
        err = r.json()["error"]
        assert err["code"] == "VALIDATION_ERROR", err
        if field is None:
            assert err["detail"]["unknown_query"] == ["stauts"]
        else:
            assert field in json.dumps(err["detail"]), err


async def test_history_facts_engines_cost_error_and_remediation(world: World) -> None:
    runs = await _runs(world)
    listed = {r["id"]: r for r in (await world.client.get("/v1/runs")).json()["runs"]}
    fox = listed[runs["fox"]["id"]]
    assert fox["engine_used"] == [{"model": "fal/flux-dev", "provider": "fal"}]
    assert fox["cost_micros"] == 25_000 and fox["cost"] == "$0.025"
    assert fox["error_code"] is None and fox["remediation"] == []
    refused = listed[runs["refused"]["id"]]
    assert refused["error_code"] == "SAFETY_FILTER" and refused["remediation"]
    assert refused["engine_used"] == [{"model": "together/flux-1-dev", "provider": "together"}]
    view = (await world.client.get(f"/v1/runs/{runs['refused']['id']}")).json()
    assert view["error_code"] == "SAFETY_FILTER" and view["remediation"] == refused["remediation"]
    assert view["engine_used"] == refused["engine_used"] and view["cost"] == "$0"


async def test_logs_are_json_lines_and_redacted(world: World) -> None:
    register_secret(CANARY)
    runs = await _runs(world)
    run_id = runs["fox"]["id"]
    step_id = runs["fox"]["steps"][0]["id"]
    # A provider call outcome carrying secrets in every shape they arrive in.
    async with world.container.db.write() as tx:
        await world.container.engine.events.emit(
            tx,
            run_id,
            "step.provider_error",
            {
                "message": f"upstream said: invalid key {CANARY}",
                "headers": {"Authorization": f"Bearer {UNREGISTERED}", "X-Key": UNREGISTERED},
                "result_url": "https://bucket.s3.amazonaws.com/out.png?X-Amz-Algorithm=A"
                f"&X-Amz-Credential=AKIA%2F{UNREGISTERED}&X-Amz-Signature={UNREGISTERED}",
                "cdn": f"https://cdn.example.com/v.mp4?Policy={UNREGISTERED}&Key-Pair-Id=K1",
                "link": f"/v1/artifacts/art_x/content?expires=99&sig={UNREGISTERED}",
                "params": {"api_key": UNREGISTERED, "seed": 7},
                "note": f"curl -H 'Authorization: Key {UNREGISTERED}'",
            },
            step_id,
        )
    r = await world.client.get(f"/v1/runs/{run_id}/logs")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert CANARY not in r.text and UNREGISTERED not in r.text
    lines = [json.loads(line) for line in r.text.splitlines()]
    events = [line["event"] for line in lines]
    assert events[0] == "run.created" and events[-1] == "step.provider_error"
    assert {"step.submitted", "step.succeeded", "run.succeeded"} <= set(events)
    assert all(line["ts"] and line["run_id"] == run_id for line in lines)
    assert [line["seq"] for line in lines] == sorted(line["seq"] for line in lines)
    submitted = next(line for line in lines if line["event"] == "step.submitted")
    assert submitted["model"] == "fal/flux-dev" and submitted["provider"] == "fal"
    leak = lines[-1]
    assert leak["data"]["params"]["seed"] == 7  # what is not secret stays readable
    assert leak["data"]["cdn"].startswith("https://cdn.example.com/v.mp4?")

    failed = await world.client.get(f"/v1/runs/{runs['refused']['id']}/logs")
    failed_lines = [json.loads(line) for line in failed.text.splitlines()]
    assert any(x["level"] == "error" and x["event"] == "step.failed" for x in failed_lines)

    details = await world.client.get(f"/v1/runs/{run_id}/details")
    assert details.status_code == 200 and details.headers["content-type"].startswith("text/plain")
    text = details.text
    assert CANARY not in text and UNREGISTERED not in text
    assert f"Run ID: {run_id}" in text and "Engine: fal/flux-dev (fal)" in text
    assert "Cost: $0.025" in text and "Error: none" in text
    assert text.count("\n{") == min(10, len(lines))  # the last (up to) ten log lines
    assert f"of {len(lines)}" in text
    refused = (await world.client.get(f"/v1/runs/{runs['refused']['id']}/details")).text
    assert "Error: SAFETY_FILTER" in refused and "Remediation:\n  - " in refused
    short = await world.client.get(f"/v1/runs/{run_id}/details", params={"lines": 2})
    assert short.text.count("\n{") == 2


async def test_other_users_runs_are_invisible(world: World) -> None:
    runs = await _runs(world)
    member = await make_user(world.client, name="m", role="member")
    key = await key_for(world.client, member["id"])
    async with httpx.AsyncClient(
        transport=world.client._transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {key}"},
    ) as other:
        r = await other.post(
            "/v1/generations", json={"model": "fal/flux-dev", "prompt": "a red fox, mine"}
        )
        assert r.status_code == 202, r.text
        own = await World(other, world.container, *[world.fal, world.fal_url], world.together,
                          world.together_url).wait(r.json()["id"])  # fmt: skip
        mine = (await other.get("/v1/runs", params={"q": "fox"})).json()
        assert ids(mine) == [own["id"]]
        for path in ("", "/logs", "/details", "/pipeline"):
            theirs = await other.get(f"/v1/runs/{runs['fox']['id']}{path}")
            assert theirs.status_code == 404, path
            assert theirs.json()["error"]["code"] == "NOT_FOUND"
    assert own["id"] not in ids((await world.client.get("/v1/runs")).json())
