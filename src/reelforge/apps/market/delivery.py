"""Ending an order: delivered (a post by the agent, its media shared into the buyer's
artifacts, the hold captured into platform revenue with the provider cost booked against
it) or failed (our error code and remediation, the hold released in full). Each end is
one database transaction behind a compare-and-set on the order's status, so ending an
order twice (two processes, a sweep and a waiter) does it once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge import billing
from reelforge.apps.market.orders import OrderStatus
from reelforge.billing import ledger
from reelforge.domain.ids import new_id
from reelforge.storage.artifact_tables import ArtifactRow
from reelforge.storage.artifacts import ArtifactStore
from reelforge.storage.blobs import BlobInfo
from reelforge.storage.db import Database
from reelforge.storage.market_tables import MarketDeliverableRow, MarketOrderRow, MarketPostRow
from reelforge.storage.tables import utcnow

OPEN = [OrderStatus.PAID.value, OrderStatus.IN_PROGRESS.value]


@dataclass(frozen=True)
class Media:
    row: ArtifactRow  # the agent's artifact
    head: bytes


async def heads(artifacts: ArtifactStore, rows: list[ArtifactRow]) -> list[Media]:
    found = []
    for row in rows:
        head = b""
        async for chunk in artifacts.blobs.open(row.sha256, 0, 63):
            head += chunk
        found.append(Media(row, head[:64]))
    return found


async def deliver(
    db: Database,
    artifacts: ArtifactStore,
    order: MarketOrderRow,
    media: list[Media],
    *,
    caption: str,
    provider_cost_micros: int = 0,
    provider_list_micros: int = 0,
) -> bool:
    """Deliver the order; False when it had already ended (nothing done)."""
    now = utcnow()
    post_id = new_id("pst")
    async with db.write() as tx:
        session = await tx.session()
        moved = await session.execute(
            update(MarketOrderRow)
            .where(MarketOrderRow.id == order.id, MarketOrderRow.status.in_(OPEN))
            .values(status=OrderStatus.DELIVERED.value, updated_at=now)
        )
        if not getattr(moved, "rowcount", 0):
            return False
        deliverables = []
        for item in media:
            copy = await artifacts.record(
                tx,
                owner_id=order.buyer_id,
                blob=BlobInfo(item.row.sha256, item.row.size),
                head=item.head,
                name=item.row.name,
                provenance={
                    **(item.row.provenance or {}),
                    "market_order": order.id,
                    "parents": [item.row.id],
                },
                sandbox=item.row.sandbox,
            )
            deliverables.append(
                MarketDeliverableRow(
                    id=new_id("dlv"),
                    order_id=order.id,
                    post_id=post_id,
                    artifact_id=copy.id,
                    kind=copy.kind,
                    content_type=copy.content_type,
                    created_at=now,
                )
            )
        session.add(
            MarketPostRow(
                id=post_id,
                agent_id=order.agent_id,
                order_id=order.id,
                caption=caption,
                media=[
                    {
                        "artifact_id": m.row.id,
                        "kind": m.row.kind,
                        "content_type": m.row.content_type,
                    }
                    for m in media
                ],
                created_at=now,
            )
        )
        session.add_all(deliverables)
        # The whole price is revenue here: what the provider was paid was booked by the
        # run's own billing (on the agent's account), and is given back to the agent below.
        # Booking it again here counted provider spend twice (issue 21's open question).
        charge = await billing.capture(
            session,
            order.id,
            "delivery",
            order.price_micros,
            provider_cost_micros=0,
            idempotency_key=f"market-capture:{order.id}",
        )
        await billing.release(session, order.id)  # closes the hold (nothing is left)
        await repay_agent(session, order, from_revenue=charge.charged_micros)
        await session.execute(
            update(MarketOrderRow)
            .where(MarketOrderRow.id == order.id)
            .values(
                deliverable_post_id=post_id,
                captured_micros=charge.charged_micros,
                provider_cost_micros=provider_cost_micros,
                provider_list_micros=provider_list_micros,
                delivered_at=now,
            )
        )
        await session.flush()
    return True


async def repay_agent(session: AsyncSession, order: MarketOrderRow, *, from_revenue: int) -> int:
    """Give the official agent's account back what its run for this order was charged.

    An official order's run is ReelForge's own, billed like any run on the agent's account
    (its hold, its capture into provider spend): that account is a float the platform
    keeps, not a party that pays. Once the order ends, what the run cost comes back to
    it, out of the order's revenue (delivered: the margin is what stays) or as platform
    cost (failed: the buyer got every cent back). Free runs (sandbox, local engines) hold
    nothing, so nothing moves. Idempotent by the order id."""
    if order.run_id is None:
        return 0
    hold = await billing.get_hold(session, order.run_id)
    paid = hold.captured_micros if hold is not None else 0
    if hold is None or paid <= 0:
        return 0
    revenue = min(paid, max(0, from_revenue))
    legs = [
        (await ledger.user_account(session, hold.owner_id, ledger.TOPUP), paid),
        (await ledger.platform_account(session, ledger.REVENUE), -revenue),
        (await ledger.platform_account(session, ledger.PLATFORM_COST), revenue - paid),
    ]
    await ledger.post(
        session,
        kind="market_repay",
        idempotency_key=f"market-repay:{order.id}",
        legs=legs,
        amount_micros=paid,
        owner_id=hold.owner_id,
        run_id=order.run_id,
        meta={"order_id": order.id, "from_revenue_micros": revenue},
    )
    return paid


async def fail(db: Database, order: MarketOrderRow, error: dict[str, Any]) -> bool:
    """Fail the order and refund the buyer in full; False when it had already ended."""
    now = utcnow()
    async with db.write() as tx:
        session = await tx.session()
        moved = await session.execute(
            update(MarketOrderRow)
            .where(MarketOrderRow.id == order.id, MarketOrderRow.status.in_(OPEN))
            .values(status=OrderStatus.FAILED.value, error=error, updated_at=now)
        )
        if not getattr(moved, "rowcount", 0):
            return False
        hold = await billing.release(session, order.id)
        await repay_agent(session, order, from_revenue=0)  # the platform absorbs it
        await session.execute(
            update(MarketOrderRow)
            .where(MarketOrderRow.id == order.id)
            .values(refunded_micros=hold.released_micros if hold is not None else 0)
        )
    return True
