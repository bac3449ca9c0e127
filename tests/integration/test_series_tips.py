"""x402 tip-votes on clip variants: every refusal, exactly-once under 100 concurrent
replays, 80/19/1 splits in the ledger, payouts and the creator wallet's signed nonces."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from reelforge.app import api_app, open_container
from reelforge.apps.series import wallet as wallet_mod
from reelforge.apps.series.wiring import platform_of
from reelforge.container import Container
from reelforge.storage.ledger_tables import TransactionRow
from reelforge.storage.series_tables import (
    SeriesClipVariantRow,
    SeriesLimitedSeriesRow,
    SeriesProductionRow,
    SeriesScriptRow,
    SeriesTipRow,
)
from tests.conftest import make_settings
from tests.series_helpers import Wallet, payment_header, register, script_data


async def voting_production(client: httpx.AsyncClient, container: Container) -> dict[str, Any]:
    """An agent whose winning script's production is in clip voting (rows as production
    leaves them; the production itself is tested in test_series_flow)."""
    agent = await register(client, f"tipped_{time.time_ns() % 10**9}")
    studio = (
        await client.post(
            "/api/v1/studios",
            json={"category_slug": "drama", "suffix": "Tips"},
            headers=agent["headers"],
        )
    ).json()
    platform = platform_of(container)
    now = platform.now()
    async with container.db.transaction() as session:
        session.add(
            SeriesScriptRow(
                id="scr_t",
                studio_id=studio["id"],
                agent_id=studio["creator_id"],
                category="drama",
                title="T",
                logline="A logline long enough",
                script_data=script_data("drama"),
                pilot_status="produced",
                up_votes=0,
                down_votes=0,
            )
        )
        session.add(
            SeriesProductionRow(
                id="prd_t",
                script_id="scr_t",
                agent_id=studio["creator_id"],
                status="voting",
                voting_ends_at=now + timedelta(hours=24),
            )
        )
        for i in range(4):
            session.add(
                SeriesClipVariantRow(
                    id=f"clp_{i}",
                    production_id="prd_t",
                    position=i,
                    prompt="p",
                    vote_count=0,
                    tip_total_micros=0,
                )
            )
        session.add(
            SeriesLimitedSeriesRow(
                id="ser_t",
                medium="video",
                agent_id=studio["creator_id"],
                studio_id=studio["id"],
                script_id="scr_t",
                production_id="prd_t",
                title="T",
                genre="drama",
                status="pilot_voting",
                tip_total_micros=0,
            )
        )
    return agent


async def requirements(
    client: httpx.AsyncClient, variant: str, cents: int | None = None
) -> dict[str, Any]:
    body = {} if cents is None else {"tip_amount_cents": cents}
    r = await client.post(f"/api/v1/voting/clips/{variant}/tip", json=body)
    assert r.status_code == 402, r.text
    out = r.json()
    assert out["x402Version"] == 1 and out["error"] == "X-PAYMENT header is required"
    return dict(out["accepts"][0])


async def pay(
    client: httpx.AsyncClient, variant: str, header: str, cents: int | None = None
) -> httpx.Response:
    body = {} if cents is None else {"tip_amount_cents": cents}
    return await client.post(
        f"/api/v1/voting/clips/{variant}/tip", json=body, headers={"X-PAYMENT": header}
    )


async def test_tip_vote_refusals_and_split(client: httpx.AsyncClient, container: Container) -> None:
    agent = await voting_production(client, container)
    acc = await requirements(client, "clp_0")
    platform = platform_of(container)
    assert acc["scheme"] == "exact" and acc["network"] == "base-sepolia"
    assert acc["maxAmountRequired"] == "250000"  # 25 cents default, USDC 6 decimals
    assert acc["payTo"] == platform.config.pay_to
    assert acc["asset"] == "0x036CbD53842c5426634e7929541eC2318f3dCF7e"
    assert acc["extra"] == {"name": "USDC", "version": "2"}
    low = await client.post("/api/v1/voting/clips/clp_0/tip", json={"tip_amount_cents": 5})
    assert low.status_code == 422
    human, thief = Wallet(), Wallet()
    now = int(time.time())
    cases = {
        "invalid_payload": base64.b64encode(
            json.dumps(
                {"x402Version": 1, "scheme": "exact", "network": "base-sepolia", "payload": {}}
            ).encode()
        ).decode(),
        "invalid_exact_evm_payload_signature": payment_header(human, acc, signer=thief),
        "invalid_exact_evm_payload_recipient_mismatch": payment_header(
            human, acc, to=thief.address
        ),
        "invalid_exact_evm_payload_authorization_value": payment_header(human, acc, value=249999),
        "invalid_exact_evm_payload_authorization_valid_before": payment_header(
            human, acc, valid_after=now - 600, valid_before=now - 1
        ),
        "invalid_exact_evm_payload_authorization_valid_after": payment_header(
            human, acc, valid_after=now + 600, valid_before=now + 900
        ),
    }
    for reason, header in cases.items():
        r = await pay(client, "clp_0", header)
        assert r.status_code == 402, (reason, r.text)
        assert r.json()["error"] == reason and r.json()["code"] == "PAYMENT_INVALID", r.text
    unsigned = json.loads(base64.b64decode(payment_header(human, acc)))
    unsigned["payload"]["signature"] = "0x" + "00" * 65
    r = await pay(client, "clp_0", base64.b64encode(json.dumps(unsigned).encode()).decode())
    assert r.json()["error"] == "invalid_exact_evm_payload_signature"
    assert (await client.get("/api/v1/voting/series/ser_t/clips")).json()[0]["vote_count"] == 0

    good = payment_header(human, acc)
    r = await pay(client, "clp_0", good)
    assert r.status_code == 200, r.text
    out = r.json()
    settled = json.loads(base64.b64decode(r.headers["X-PAYMENT-RESPONSE"]))
    assert settled["success"] and settled["payer"] == human.address
    assert out["tip_amount_cents"] == 25
    parts = {s["recipient_type"]: s["amount_micros"] for s in out["splits"]}
    assert parts == {"creator": 200000, "platform": 47500, "agent": 2500}
    # Replayed nonce (even on another variant): refused. Same wallet, same variant: refused.
    r = await pay(client, "clp_1", good)
    assert r.status_code == 402 and r.json()["error"] == "invalid_exact_evm_nonce_already_used"
    r = await pay(client, "clp_0", payment_header(human, acc))
    assert r.status_code == 409 and r.json()["error"]["code"] == "DUPLICATE_VOTE"
    # The same wallet may vote on another variant; an odd amount splits exactly.
    acc1 = await requirements(client, "clp_1", 33)
    r = await pay(client, "clp_1", payment_header(human, acc1, value=330001), 33)
    assert r.status_code == 200, r.text
    odd = {s["recipient_type"]: s["amount_micros"] for s in r.json()["splits"]}
    assert sum(odd.values()) == 330001 and odd == {
        "creator": 264001,
        "platform": 62700,
        "agent": 3300,
    }
    votes = (await client.get("/api/v1/voting/series/ser_t/clips")).json()
    assert [v["vote_count"] for v in votes] == [1, 1, 0, 0]
    assert votes[1]["tip_total_cents"] == 33.0001

    # Payouts: the agent's 1 % is paid; the creator's 80 % waits for a creator wallet.
    h = agent["headers"]
    assert await wallet_mod.process_payouts(platform, platform.now()) == 2
    history = (await client.get("/api/v1/wallet/payouts", headers=h)).json()
    by = {(p["recipient_type"], p["amount_micros"]): p["status"] for p in history}
    assert by[("agent", 2500)] == "completed" and by[("creator", 200000)] == "pending"
    assert all(p["tx_hash"] for p in history if p["status"] == "completed")
    w = (await client.get("/api/v1/wallet", headers=h)).json()
    assert w["wallet_address"] == agent["wallet"].address
    assert w["total_earned_cents"] == 0.58 and w["total_paid_cents"] == 0.58
    creator = Wallet()
    n = (
        await client.get(
            "/api/v1/wallet/nonce",
            params={"operation": "set_creator_wallet", "creatorWalletAddress": creator.address},
            headers=h,
        )
    ).json()
    bad = await client.post(
        "/api/v1/wallet/creator",
        json={"message": n["message"], "signature": creator.sign(n["message"])},
        headers=h,
    )
    assert bad.status_code == 401  # not the agent wallet's signature
    signed = {"message": n["message"], "signature": agent["wallet"].sign(n["message"])}
    ok = await client.post("/api/v1/wallet/creator", json=signed, headers=h)
    assert ok.status_code == 200 and ok.json()["creator_wallet_address"] == creator.address
    replay = await client.post("/api/v1/wallet/creator", json=signed, headers=h)
    assert replay.status_code == 401 and "already used" in replay.json()["error"]["message"]
    late = (
        await client.get(
            "/api/v1/wallet/nonce", params={"operation": "clear_creator_wallet"}, headers=h
        )
    ).json()
    real = platform.clock
    platform.clock = lambda: real() + timedelta(minutes=11)
    try:
        expired = await client.post(
            "/api/v1/wallet/creator",
            json={"message": late["message"], "signature": agent["wallet"].sign(late["message"])},
            headers=h,
        )
    finally:
        platform.clock = real
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]
    failing = {"n": 0}

    async def flaky(wallet: str, amount: int) -> str:
        failing["n"] += 1
        if amount == 200000:
            raise RuntimeError("nonce too low")
        return "0xabc"

    assert await wallet_mod.process_payouts(platform, platform.now(), sender=flaky) == 2
    statuses = {
        (p["recipient_type"], p["amount_micros"]): p["status"]
        for p in (await client.get("/api/v1/wallet/payouts", headers=h)).json()
    }
    assert statuses[("creator", 200000)] == "failed"
    assert statuses[("creator", 264001)] == "completed"
    # Closed voting refuses tips.
    platform.clock = lambda: real() + timedelta(hours=25)
    try:
        r = await client.post("/api/v1/voting/clips/clp_2/tip", json={})
    finally:
        platform.clock = real
    assert r.status_code == 409 and r.json()["error"]["code"] == "VOTING_CLOSED"


async def test_100_concurrent_replays_make_one_vote(
    client: httpx.AsyncClient, container: Container
) -> None:
    await voting_production(client, container)
    acc = await requirements(client, "clp_3")
    header = payment_header(Wallet(), acc)
    answers = await asyncio.gather(*(pay(client, "clp_3", header) for _ in range(100)))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(200) == 1, codes
    assert set(codes) <= {200, 402, 409}
    async with container.db.session() as session:
        tips = await session.scalar(select(func.count(SeriesTipRow.id)))
        splits = await session.scalar(
            select(func.count(TransactionRow.id)).where(TransactionRow.kind == "split")
        )
        variant = await session.get(SeriesClipVariantRow, "clp_3")
    assert tips == 1 and splits == 1
    assert variant is not None and variant.vote_count == 1 and variant.tip_total_micros == 250000


async def test_configured_http_facilitator(client: httpx.AsyncClient, container: Container) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from reelforge.apps.series.facilitator import HttpFacilitator

    seen: list[str] = []

    async def verify(request: Request) -> JSONResponse:
        body = await request.json()
        auth = body["paymentPayload"]["payload"]["authorization"]
        if auth["from"] == refused.address:
            return JSONResponse({"isValid": False, "invalidReason": "insufficient_funds"})
        return JSONResponse({"isValid": True, "payer": auth["from"]})

    async def settle(request: Request) -> JSONResponse:
        body = await request.json()
        seen.append(body["paymentRequirements"]["payTo"])
        return JSONResponse({"success": True, "transaction": "0xfeed", "network": "base-sepolia"})

    app = Starlette(
        routes=[
            Route("/verify", verify, methods=["POST"]),
            Route("/settle", settle, methods=["POST"]),
        ]
    )
    platform = platform_of(container)
    local = platform.facilitator
    platform.facilitator = HttpFacilitator(
        "http://facilitator", client=httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    )
    refused = Wallet()
    try:
        await voting_production(client, container)
        acc = await requirements(client, "clp_0")
        r = await pay(client, "clp_0", payment_header(refused, acc))
        assert r.status_code == 402 and r.json()["error"] == "insufficient_funds"
        r = await pay(client, "clp_0", payment_header(Wallet(), acc))
        assert r.status_code == 200, r.text
        assert r.json()["transaction"] == "0xfeed" and seen == [platform.config.pay_to]
    finally:
        platform.facilitator = local


@pytest.mark.postgres
async def test_concurrent_replays_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    """On PostgreSQL writers really run at once: the unique keys decide, still one vote."""
    async with open_container(
        make_settings(tmp_path / "home", database_url=pg_url), upgrade_db=True
    ) as c:
        key = c.settings.owner_key_path.read_text().strip()
        transport = httpx.ASGITransport(app=api_app(c), raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers={"Authorization": f"Bearer {key}"}
        ) as client:
            await test_100_concurrent_replays_make_one_vote(client, c)
