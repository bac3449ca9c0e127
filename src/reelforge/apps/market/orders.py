"""Placing, reading and canceling orders. An order's money is a ledger hold keyed by the
order id: placing it holds the retail price from the buyer's credits (INSUFFICIENT_FUNDS
before anything is written), delivery captures it (``apps.market.delivery``), and a
failed or canceled order releases it in full. Orders are the buyer's: another user gets
NOT_FOUND, as for runs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from reelforge import billing
from reelforge.apps.market.listing import get_agent, get_service
from reelforge.apps.market.notices import OrderEnds
from reelforge.catalog.catalog import Catalog
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.domain.modes import MediaKind
from reelforge.storage.artifacts import ArtifactStore
from reelforge.storage.blobs import BlobInfo
from reelforge.storage.db import Database
from reelforge.storage.market_tables import MarketDeliverableRow, MarketOrderRow, MarketPostRow
from reelforge.storage.tables import utcnow

MAX_BRIEF = 4000
MAX_INPUTS = 8


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    FAILED = "failed"
    REFUNDED = "refunded"
    CANCELED = "canceled"

    @property
    def terminal(self) -> bool:
        return self in (self.DELIVERED, self.FAILED, self.REFUNDED, self.CANCELED)


@dataclass(frozen=True)
class OrderInput:
    artifact_id: str
    slot: str | None = None


def hold_key(order_id: str) -> str:
    return f"market-hold:{order_id}"


def digest(service_id: str, brief: str, inputs: list[OrderInput], consent: bool) -> str:
    canonical = json.dumps(
        {
            "service_id": service_id,
            "brief": brief,
            "inputs": [[i.artifact_id, i.slot] for i in inputs],
            "consent": consent,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def not_found(order_id: str) -> ReelForgeError:
    return ReelForgeError(
        ErrorCode.NOT_FOUND,
        f"No order {order_id!r}.",
        detail={"order_id": order_id},
        remediation=("Your orders: GET /api/atelier/orders.",),
    )


class Orders:
    def __init__(self, db: Database, artifacts: ArtifactStore, catalog: Catalog) -> None:
        self.db = db
        self.artifacts = artifacts
        self.catalog = catalog
        self.ends = OrderEnds()

    async def _check_inputs(
        self, buyer_id: str, model_id: str | None, inputs: list[OrderInput], consent: bool
    ) -> list[dict[str, Any]]:
        """Every input is the buyer's own artifact, and (for an official service) the model's
        required slots are filled and identity inputs carry consent: refused now, before
        any money moves, rather than failing the run later."""
        if len(inputs) > MAX_INPUTS:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"An order takes at most {MAX_INPUTS} inputs.",
                detail={"param": "inputs", "given": len(inputs)},
            )
        found: list[dict[str, Any]] = []
        for given in inputs:
            row = await self.artifacts.get(given.artifact_id, owner_id=buyer_id)
            found.append(
                {
                    "artifact_id": row.id,
                    "slot": given.slot,
                    "kind": row.kind,
                    "sha256": row.sha256,
                    "size": row.size,
                    "content_type": row.content_type,
                    "head": await self._head(row.sha256),
                }
            )
        if model_id is None:
            return found
        entry = await self.catalog.get(model_id)
        kinds = [MediaKind(f["kind"]) for f in found]
        for slot in entry.inputs:
            named = [f for f in found if f["slot"] == slot.name]
            filled = bool(named) or (
                any(k is slot.kind for k in kinds) and not any(f["slot"] for f in found)
            )
            if slot.required and not filled:
                raise ReelForgeError(
                    ErrorCode.VALIDATION_ERROR,
                    f"This service needs a {slot.kind.value} input ({slot.name!r}).",
                    detail={"param": "inputs", "slot": slot.name, "kind": slot.kind.value},
                    remediation=(
                        f"Upload the {slot.kind.value} (POST /v1/uploads) and give its "
                        f'artifact id in inputs: [{{"artifact_id": "...", "slot": '
                        f'"{slot.name}"}}].',
                    ),
                )
            if slot.identity and filled and not consent:
                raise ReelForgeError(
                    ErrorCode.CONSENT_MISSING,
                    f"The {slot.name!r} input is an identity reference (a real person).",
                    detail={"param": "consent", "slot": slot.name},
                    remediation=("Set consent: true to confirm you have the person's permission.",),
                )
        return found

    async def create(
        self,
        buyer_id: str,
        *,
        service_id: str,
        brief: str,
        inputs: list[OrderInput] | None = None,
        consent: bool = False,
        idempotency_key: str | None = None,
    ) -> tuple[MarketOrderRow, bool]:
        """(the order, whether this call created it). A replayed Idempotency-Key returns the
        order it made (for the same request; another body is a CONFLICT)."""
        inputs = inputs or []
        brief = brief.strip()
        if not brief or len(brief) > MAX_BRIEF:
            raise ReelForgeError(
                ErrorCode.VALIDATION_ERROR,
                f"The brief must be 1 to {MAX_BRIEF} characters.",
                detail={"param": "brief", "length": len(brief)},
                remediation=("Describe what you want made, e.g. 'a lighthouse at dusk'.",),
            )
        asked = digest(service_id, brief, inputs, consent)
        if idempotency_key:
            existing = await self._replay(buyer_id, idempotency_key, asked)
            if existing is not None:
                return existing, False
        service = await get_service(self.db, service_id)
        if not service.active:
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"The service {service.title!r} is not offered now.",
                detail={"service_id": service_id},
                remediation=("Pick another service of the agent.",),
            )
        agent = await get_agent(self.db, service.agent_id)
        model_id = (
            f"{service.provider_key}/{service.provider_model}"
            if agent.is_atelier_official and service.provider_key and service.provider_model
            else None
        )
        checked = await self._check_inputs(buyer_id, model_id, inputs, consent)
        now = utcnow()
        order_id = new_id("ord")
        values: dict[str, Any] = {
            "id": order_id,
            "buyer_id": buyer_id,
            "agent_id": agent.id,
            "service_id": service.id,
            "brief": brief,
            "inputs": [],
            "consent": consent,
            "status": OrderStatus.PAID.value,
            "price_micros": service.price_micros,
            "captured_micros": 0,
            "refunded_micros": 0,
            "provider_cost_micros": 0,
            "provider_list_micros": 0,
            "run_id": None,
            "deliverable_post_id": None,
            "error": None,
            "idempotency_key": idempotency_key,
            "request_digest": asked,
            "webhook_status": None,
            "created_at": now,
            "updated_at": now,
            "started_at": None,
            "delivered_at": None,
        }
        try:
            async with self.db.write() as tx:
                session = await tx.session()
                # The hold first: short of credits, nothing at all is written.
                await billing.place_hold(
                    session, buyer_id, order_id, service.price_micros, hold_key(order_id)
                )
                # The inputs are shared with the agent that will use them (the same blobs),
                # once, so a re-executed order asks for exactly the same run.
                for item in checked:
                    shared = None
                    if agent.user_id:
                        row = await self.artifacts.record(
                            tx,
                            owner_id=agent.user_id,
                            blob=BlobInfo(item["sha256"], item["size"]),
                            head=item["head"],
                            provenance={"market_order": order_id, "parents": [item["artifact_id"]]},
                        )
                        shared = row.id
                    values["inputs"].append(
                        {
                            "artifact_id": item["artifact_id"],
                            "slot": item["slot"],
                            "kind": item["kind"],
                            "agent_artifact_id": shared,
                        }
                    )
                session.add(MarketOrderRow(**values))
                await session.flush()
        except IntegrityError:
            if idempotency_key:
                existing = await self._replay(buyer_id, idempotency_key, asked)
                if existing is not None:
                    return existing, False
            raise
        return MarketOrderRow(**values), True

    async def _head(self, sha256: str) -> bytes:
        head = b""
        async for chunk in self.artifacts.blobs.open(sha256, 0, 64):
            head += chunk
        return head[:64]

    async def _replay(self, buyer_id: str, key: str, asked: str) -> MarketOrderRow | None:
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(MarketOrderRow).where(
                        MarketOrderRow.buyer_id == buyer_id, MarketOrderRow.idempotency_key == key
                    )
                )
            ).scalar_one_or_none()
        if row is not None and row.request_digest != asked:
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"The Idempotency-Key {key!r} was already used for a different order.",
                detail={"idempotency_key": key, "order_id": row.id},
                remediation=(
                    "Send a new Idempotency-Key for a new order; resend the same body to get "
                    "the order the key made.",
                ),
            )
        return row

    async def load(self, order_id: str) -> MarketOrderRow:
        async with self.db.session() as session:
            row = await session.get(MarketOrderRow, order_id, populate_existing=True)
        if row is None:
            raise not_found(order_id)
        return row

    async def get(self, order_id: str, buyer_id: str | None) -> MarketOrderRow:
        """``buyer_id`` None: an admin or the internal trigger (any order)."""
        row = await self.load(order_id)
        if buyer_id is not None and row.buyer_id != buyer_id:
            raise not_found(order_id)
        return row

    async def detail(
        self, order: MarketOrderRow
    ) -> tuple[MarketPostRow | None, list[MarketDeliverableRow]]:
        if order.deliverable_post_id is None:
            return None, []
        async with self.db.session() as session:
            post = await session.get(MarketPostRow, order.deliverable_post_id)
            found = await session.execute(
                select(MarketDeliverableRow)
                .where(MarketDeliverableRow.order_id == order.id)
                .order_by(MarketDeliverableRow.id)
            )
            return post, list(found.scalars())

    async def list_mine(
        self, buyer_id: str, *, status: str | None = None, limit: int = 50
    ) -> list[MarketOrderRow]:
        stmt = select(MarketOrderRow).where(MarketOrderRow.buyer_id == buyer_id)
        if status:
            stmt = stmt.where(MarketOrderRow.status == status)
        stmt = stmt.order_by(MarketOrderRow.created_at.desc(), MarketOrderRow.id.desc())
        async with self.db.session() as session:
            return list((await session.execute(stmt.limit(max(1, min(limit, 200))))).scalars())

    async def cancel(self, order_id: str, buyer_id: str | None) -> MarketOrderRow:
        """An order not started yet is canceled and its hold released in full."""
        order = await self.get(order_id, buyer_id)
        if order.status not in (OrderStatus.PAID.value, OrderStatus.PENDING_PAYMENT.value):
            raise ReelForgeError(
                ErrorCode.CONFLICT,
                f"The order is {order.status}: only an order not started yet can be canceled.",
                detail={"order_id": order_id, "status": order.status},
                remediation=("A failed order is refunded by itself; a delivered one is final.",),
            )
        async with self.db.write() as tx:
            session = await tx.session()
            moved = await session.execute(
                update(MarketOrderRow)
                .where(
                    MarketOrderRow.id == order_id,
                    MarketOrderRow.status.in_(
                        [OrderStatus.PAID.value, OrderStatus.PENDING_PAYMENT.value]
                    ),
                )
                .values(status=OrderStatus.CANCELED.value, updated_at=utcnow())
            )
            if getattr(moved, "rowcount", 0):
                hold = await billing.release(session, order_id)
                refunded = hold.released_micros if hold is not None else 0
                await session.execute(
                    update(MarketOrderRow)
                    .where(MarketOrderRow.id == order_id)
                    .values(refunded_micros=refunded)
                )
        self.ends.ended(order_id)
        return await self.load(order_id)
