"""x402 facilitators: who settles a verified payment.

``LocalFacilitator`` (sandbox and tests) is the token's ``authorizationState`` kept in our
database: the settlement row is written in the tip's own transaction, so a nonce settles
at most once and a vote exists exactly when its payment does. ``HttpFacilitator`` speaks
the facilitator HTTP API (POST /verify, POST /settle) of a real one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.apps.series.x402 import VERSION, Payment, PaymentRefused, Requirements
from reelforge.domain.ids import new_id
from reelforge.storage.series_tables import SeriesSettlementRow

NONCE_USED = "invalid_exact_evm_nonce_already_used"


@dataclass(frozen=True, slots=True)
class Settlement:
    transaction: str
    network: str
    payer: str


class Facilitator(Protocol):
    name: str

    async def settle(
        self, session: AsyncSession, payment: Payment, req: Requirements
    ) -> Settlement: ...


class LocalFacilitator:
    name = "local"

    async def settle(
        self, session: AsyncSession, payment: Payment, req: Requirements
    ) -> Settlement:
        used = await session.scalar(
            select(SeriesSettlementRow.id).where(
                SeriesSettlementRow.payer == payment.payer,
                SeriesSettlementRow.nonce == payment.nonce,
            )
        )
        if used is not None:
            raise PaymentRefused(NONCE_USED, "This authorization nonce was already used.")
        tx = "0x" + hashlib.sha256(f"{payment.payer}:{payment.nonce}".encode()).hexdigest()
        session.add(
            SeriesSettlementRow(
                id=new_id("stl"),
                payer=payment.payer,
                nonce=payment.nonce,
                pay_to=payment.to,
                value=str(payment.value),
                tx_hash=tx,
            )
        )
        # Flushed now: on PostgreSQL a concurrent twin fails here, on its unique key.
        await session.flush()
        return Settlement(tx, req.network, payment.payer)


class HttpFacilitator:
    name = "http"

    def __init__(self, url: str, client: httpx.AsyncClient | None = None) -> None:
        self.url = url.rstrip("/")
        self.client = client or httpx.AsyncClient(timeout=30)

    def headers(self, method: str, url: str) -> dict[str, Any]:
        """Per-request headers (a facilitator's auth; none for an open one)."""
        return {}

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        url = f"{self.url}{path}"
        response = await self.client.post(url, json=body, headers=self.headers("POST", url))
        if response.status_code in (401, 403):
            raise PaymentRefused(
                "unexpected_verify_error",
                f"The facilitator refused our credentials (HTTP {response.status_code}).",
            )
        return response

    async def settle(
        self, session: AsyncSession, payment: Payment, req: Requirements
    ) -> Settlement:
        body = {
            "x402Version": VERSION,
            "paymentPayload": payment.payload,
            "paymentRequirements": req.wire(),
        }
        try:
            verified = (await self._post("/verify", body)).json()
            if not verified.get("isValid"):
                raise PaymentRefused(
                    str(verified.get("invalidReason") or "invalid_payload"),
                    str(verified.get("invalidMessage") or "The facilitator refused the payment."),
                )
            settled = (await self._post("/settle", body)).json()
        except (httpx.HTTPError, ValueError) as exc:
            raise PaymentRefused(
                "unexpected_settle_error", f"The facilitator could not be reached: {exc}"
            ) from exc
        if not settled.get("success"):
            raise PaymentRefused(
                str(settled.get("errorReason") or "unexpected_settle_error"),
                str(settled.get("errorMessage") or "The facilitator did not settle the payment."),
            )
        return Settlement(str(settled.get("transaction", "")), req.network, payment.payer)
