"""Quote versus what providers reported, per model (``GET /v1/models/price-drift``).

Each finished live step whose provider said what the task cost is one observation: the
price the step was quoted at for that model (catalog, owner price or cap), the provider's
figure, and what was billed (capped at the hold/cap, engine.prices). The report averages
them per model so catalog prices can be corrected.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelforge.billing.sql import insert_ignore
from reelforge.engine.routing import step_options
from reelforge.storage.budget_tables import PriceObservationRow
from reelforge.storage.db import Database
from reelforge.storage.run_tables import StepRow
from reelforge.storage.tables import utcnow


async def observe(
    session: AsyncSession, step: StepRow, model: str, provider: str, reported: int, charged: int
) -> None:
    options = {
        o.model: o.quote_micros for o in step_options(step.model, step.request, step.quote_micros)
    }
    assumed = ((step.request or {}).get("price_assumed") or {}).get(model) or {}
    await insert_ignore(
        session,
        PriceObservationRow,
        {
            "step_id": step.id,
            "model_id": model,
            "provider": provider,
            "quote_micros": int(assumed.get("micros", options.get(model) or 0)),
            "price_source": str(assumed.get("source") or "catalog"),
            "reported_micros": int(reported),
            "charged_micros": int(charged),
            "created_at": utcnow(),
        },
        ["step_id"],
    )


async def price_drift(db: Database, model: str | None = None) -> list[dict[str, Any]]:
    """Per model: observations, mean quote, mean reported cost, drift (reported − quote,
    and as a percentage of the quote), and what was billed in all."""
    o = PriceObservationRow
    stmt = select(
        o.model_id,
        func.count(),
        func.sum(o.quote_micros),
        func.sum(o.reported_micros),
        func.sum(o.charged_micros),
        func.max(o.price_source),
    ).group_by(o.model_id)
    if model:
        stmt = stmt.where(o.model_id == model)
    async with db.session() as session:
        rows = (await session.execute(stmt.order_by(o.model_id))).all()
    out = []
    for model_id, n, quoted, reported, charged, source in rows:
        mean_quote, mean_reported = int(quoted) // int(n), int(reported) // int(n)
        drift = mean_reported - mean_quote
        out.append(
            {
                "model": model_id,
                "observations": int(n),
                "price_source": source,
                "mean_quote_micros": mean_quote,
                "mean_reported_micros": mean_reported,
                "drift_micros": drift,
                "drift_percent": None if not mean_quote else round(100 * drift / mean_quote, 1),
                "charged_micros": int(charged),
                "unbilled_micros": int(reported) - int(charged),
            }
        )
    return out
