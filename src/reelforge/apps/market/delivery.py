"""Ending an order: delivered (a post by the agent, its media shared into the buyer's
artifacts, the hold captured into platform revenue with the provider cost booked against
it) or failed (our error code and remediation, the hold released in full). Each end is
one database transaction behind a compare-and-set on the order's status, so ending an
order twice (two processes, a sweep and a waiter) does it once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from reelforge import billing
from reelforge.apps.market.orders import OrderStatus
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
        charge = await billing.capture(
            session,
            order.id,
            "delivery",
            order.price_micros,
            provider_cost_micros=provider_cost_micros,
            idempotency_key=f"market-capture:{order.id}",
        )
        await billing.release(session, order.id)  # closes the hold (nothing is left)
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
        await session.execute(
            update(MarketOrderRow)
            .where(MarketOrderRow.id == order.id)
            .values(refunded_micros=hold.released_micros if hold is not None else 0)
        )
    return True
