"""Top-up packs (seed 004: "one-time credit purchase, added to topUpCredits") bought
through a payment provider. ``PaymentProvider`` is the interface a real processor
implements (checkout, then a settled notification); ``SandboxPayments`` settles when
asked, for tests and sandbox mode. A settled payment is booked once in the core ledger
(``external:payment:<provider>`` → ``user:<id>:topup``, keyed by the payment id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select

from reelforge.apps.assets.hd_credits import HD_CREDIT_MICROS
from reelforge.apps.assets.tables import PaymentRow
from reelforge.billing.topups import credit_topup
from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.ids import new_id
from reelforge.domain.money import format_usd
from reelforge.storage.db import Database
from reelforge.storage.tables import utcnow


@dataclass(frozen=True)
class Pack:
    id: str
    credits: int

    @property
    def amount_micros(self) -> int:
        return self.credits * HD_CREDIT_MICROS

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "hd_credits": self.credits,
            "price_micros": self.amount_micros,
            "price": format_usd(self.amount_micros),
        }


PACKS = {p.id: p for p in (Pack("hd_25", 25), Pack("hd_100", 100), Pack("hd_500", 500))}


@dataclass(frozen=True)
class Checkout:
    external_id: str
    checkout_url: str


class PaymentProvider(Protocol):
    name: str

    async def create_checkout(self, pack: Pack, owner_id: str, payment_id: str) -> Checkout: ...


class SandboxPayments:
    """Checkout pages that do not exist; ``complete`` stands in for the settled webhook."""

    name = "sandbox"

    async def create_checkout(self, pack: Pack, owner_id: str, payment_id: str) -> Checkout:
        external = f"sbx_{payment_id}"
        return Checkout(external, f"/v1/assets/topups/{payment_id}/complete")


def payment_view(row: PaymentRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "pack": row.pack,
        "provider": row.provider,
        "amount_micros": row.amount_micros,
        "status": row.status,
        "created_at": row.created_at,
    }


def get_pack(pack_id: str) -> Pack:
    pack = PACKS.get(pack_id)
    if pack is None:
        raise ReelForgeError(
            ErrorCode.VALIDATION_ERROR,
            f"No top-up pack {pack_id!r}.",
            remediation=(f"Use one of: {', '.join(PACKS)}.",),
            detail={"packs": list(PACKS)},
        )
    return pack


async def start_purchase(
    db: Database, provider: PaymentProvider, owner_id: str, pack_id: str
) -> dict[str, Any]:
    pack = get_pack(pack_id)
    payment_id = new_id("apy")
    checkout = await provider.create_checkout(pack, owner_id, payment_id)
    row = PaymentRow(
        id=payment_id,
        owner_id=owner_id,
        pack=pack.id,
        provider=provider.name,
        external_id=checkout.external_id,
        amount_micros=pack.amount_micros,
        status="pending",
        created_at=utcnow(),
    )
    async with db.transaction() as session:
        session.add(row)
    return {**payment_view(row), "checkout_url": checkout.checkout_url}


async def settle_payment(db: Database, provider: str, external_id: str) -> PaymentRow:
    """The provider says the payment settled: book the pack once, however often told."""
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(PaymentRow).where(
                    PaymentRow.provider == provider, PaymentRow.external_id == external_id
                )
            )
        ).scalar_one_or_none()
        if row is None:
            raise ReelForgeError(
                ErrorCode.NOT_FOUND, "No such payment.", detail={"external_id": external_id}
            )
        await credit_topup(
            session,
            row.owner_id,
            row.amount_micros,
            idempotency_key=f"assets-topup:{provider}:{external_id}",
            source=f"payment:{provider}",
            external_id=external_id,
            reason=f"asset studio top-up pack {row.pack}",
        )
        row.status = "paid"
    return row


async def own_payment(db: Database, owner_id: str, payment_id: str) -> PaymentRow:
    async with db.session() as session:
        row = await session.get(PaymentRow, payment_id)
    if row is None or row.owner_id != owner_id:
        raise ReelForgeError(ErrorCode.NOT_FOUND, "No such payment.", detail={"id": payment_id})
    return row
