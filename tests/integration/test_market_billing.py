"""Live billing counts provider spend once. In sandbox runs are free; live, the official
agent's run is billed like any run on the agent's account (hold → provider spend). The
run's billing is reproduced here with the ledger's own run port, then the order ends:
provider spend holds the run's cost once, revenue the margin, the agent's float is whole
again, and the ledger verifies. A failed order refunds the buyer and the platform absorbs
what its run was charged."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from reelforge import billing
from reelforge.api.routes.market import market_of
from reelforge.apps.market import delivery
from reelforge.billing import ledger
from reelforge.billing.run_billing import LedgerRunBilling
from reelforge.storage.market_tables import MarketOrderRow
from tests.integration.market_world import MarketWorld, market_world

GROK_IMAGE = "svc_atelier_grok_grok_2_image"
AGENT = "usr_atelier_grok"
FLOAT = 2_000_000


async def platform(world: MarketWorld, kind: str) -> int:
    async with world.container.db.session() as s:
        return await ledger.balance_of(s, await ledger.platform_account(s, kind))


async def topup(world: MarketWorld, user_id: str) -> int:
    async with world.container.db.transaction() as s:
        state = await billing.ensure_period(s, user_id)
    return state.topup_micros + state.allocation_micros


async def billed_run(world: MarketWorld, order_id: str, run_id: str, cost: int) -> None:
    """What the engine's billing does for a live run of the agent: hold, capture, release."""
    port = LedgerRunBilling()
    async with world.container.db.transaction() as s:
        await port.hold(s, owner_id=AGENT, run_id=run_id, amount_micros=cost + 50_000)
        await port.capture(s, owner_id=AGENT, run_id=run_id, step_id="stp_1", amount_micros=cost)
        await port.release(s, owner_id=AGENT, run_id=run_id)
        await s.execute(
            update(MarketOrderRow)
            .where(MarketOrderRow.id == order_id)
            .values(status="in_progress", run_id=run_id)
        )


async def test_live_billed_runs_count_provider_spend_once(tmp_path: Path) -> None:
    async with market_world(tmp_path / "home") as world:
        market = market_of(world.container)
        market.background = False  # nothing executes by itself: the test plays the runner
        await market.ready()
        buyer_id, _ = await world.buyer()
        async with world.container.db.transaction() as s:
            await billing.credit_topup(s, AGENT, FLOAT, idempotency_key="float:grok")
        float_before = await topup(world, AGENT)
        spend0 = await platform(world, ledger.PROVIDER_SPEND)
        revenue0 = await platform(world, ledger.REVENUE)
        cost0 = await platform(world, ledger.PLATFORM_COST)

        # Delivered: 0.50 retail, the run cost 0.07.
        order, _ = await market.orders.create(buyer_id, service_id=GROK_IMAGE, brief="a fox")
        await billed_run(world, order.id, "run_live_1", 70_000)
        assert await topup(world, AGENT) == float_before - 70_000
        row = await market.orders.load(order.id)
        assert await delivery.deliver(
            world.container.db,
            world.container.artifacts,
            row,
            [],
            caption="a fox",
            provider_cost_micros=70_000,
        )
        assert await platform(world, ledger.PROVIDER_SPEND) - spend0 == 70_000  # once
        assert await platform(world, ledger.REVENUE) - revenue0 == 500_000 - 70_000
        assert await topup(world, AGENT) == float_before  # the float is whole again
        margins = await market.margins()
        assert margins["totals"]["margin_micros"] == 430_000
        # Ending it again moves nothing.
        assert not await delivery.deliver(
            world.container.db, world.container.artifacts, row, [], caption="a fox"
        )

        # Failed: the buyer is refunded in full, the platform absorbs the run's 0.04.
        before = await topup(world, buyer_id)
        order, _ = await market.orders.create(buyer_id, service_id=GROK_IMAGE, brief="a cat")
        await billed_run(world, order.id, "run_live_2", 40_000)
        row = await market.orders.load(order.id)
        assert await delivery.fail(world.container.db, row, {"code": "PROVIDER_ERROR"})
        assert await topup(world, buyer_id) == before
        assert await topup(world, AGENT) == float_before
        assert await platform(world, ledger.PROVIDER_SPEND) - spend0 == 110_000
        assert await platform(world, ledger.PLATFORM_COST) - cost0 == -40_000
        assert await platform(world, ledger.REVENUE) - revenue0 == 430_000

        async with world.container.db.session() as s:
            report = await billing.verify_balances(s)
        assert report.ok, report


def test_an_empty_agent_float_is_not_the_buyers_insufficient_funds() -> None:
    from reelforge.apps.market.execution import Executor
    from reelforge.domain.errors import ErrorCode, ReelForgeError
    from reelforge.storage.market_tables import MarketAgentRow

    agent = MarketAgentRow(id="agent_atelier_grok", name="Atelier Grok", user_id=AGENT)
    short = ReelForgeError(ErrorCode.INSUFFICIENT_FUNDS, "short", detail={"needed": 1})
    error = Executor._refused(short, agent)
    assert error["code"] == "PROVIDER_OUT_OF_CREDIT" and "refunded" in error["message"]
    assert any(AGENT in r for r in error["remediation"])
    other = ReelForgeError(ErrorCode.SAFETY_FILTER, "no")
    assert Executor._refused(other, agent)["code"] == "SAFETY_FILTER"
